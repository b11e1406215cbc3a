using ActorStream.Benchmarks.Harness;

namespace ActorStream.Benchmarks;

/// <summary>Entry point: <c>ActorStream.Benchmarks SCENARIO [options]</c>.</summary>
public static class Program
{
    private const string ProgramName = "dotnet run -c Release --project load-tests/ActorStream.Benchmarks --";

    /// <summary>Dispatches to the scenario named by the first argument.</summary>
    public static async Task<int> Main(string[] args)
    {
        var benchmarks = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();

        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintScenarios(benchmarks, Console.Out);
            return args.Length == 0 ? 2 : 0;
        }

        var benchmark = benchmarks.FirstOrDefault(b => b.Name == args[0]);
        if (benchmark is null)
        {
            Console.Error.WriteLine($"error: unknown scenario '{args[0]}'");
            PrintScenarios(benchmarks, Console.Error);
            return 2;
        }

        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            Console.Out.Write(ParsedOptions.Usage(ProgramName, benchmark));
            return 0;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        try
        {
            var options = ParsedOptions.Parse(args.Skip(1).ToArray(), benchmark.Options);
            return await benchmark.RunAsync(options, cts.Token).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            Console.Error.WriteLine();
            Console.Error.Write(ParsedOptions.Usage(ProgramName, benchmark));
            return 2;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (BenchmarkFailedException ex)
        {
            Console.Error.WriteLine($"benchmark failed: {ex.Message}");
            return 1;
        }
    }

    private static void PrintScenarios(IEnumerable<IBenchmark> benchmarks, TextWriter writer)
    {
        writer.WriteLine($"usage: {ProgramName} SCENARIO [options]   (SCENARIO --help for its options)");
        writer.WriteLine();
        writer.WriteLine("scenarios:");
        foreach (var b in benchmarks)
        {
            writer.WriteLine($"  {b.Name,-14} {b.Summary}");
        }
    }
}
