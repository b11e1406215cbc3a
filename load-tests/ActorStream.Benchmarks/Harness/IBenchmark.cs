namespace ActorStream.Benchmarks.Harness;

/// <summary>
/// One benchmark scenario, run as a subcommand of the benchmark program
/// (<c>dotnet run -c Release --project load-tests/ActorStream.Benchmarks -- NAME [options]</c>).
/// Every non-abstract implementation with a public parameterless constructor is found by
/// reflection, so adding a scenario means adding one file.
/// </summary>
public interface IBenchmark
{
    /// <summary>Subcommand name, e.g. <c>consume</c>.</summary>
    string Name { get; }

    /// <summary>One line for the program's scenario list.</summary>
    string Summary { get; }

    /// <summary>The options the scenario accepts.</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the scenario with parsed options; returns the process exit code.</summary>
    /// <exception cref="UsageException">An option value is invalid (the message names the option).</exception>
    Task<int> RunAsync(ParsedOptions options, CancellationToken cancellationToken);
}
