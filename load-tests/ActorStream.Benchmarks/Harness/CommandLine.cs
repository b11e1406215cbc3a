using System.Globalization;
using System.Text;

namespace ActorStream.Benchmarks.Harness;

/// <summary>An invalid command line; the message names the offending option.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>One <c>--name VALUE</c> option of a scenario.</summary>
/// <param name="Name">Option name including the leading dashes.</param>
/// <param name="ValueName">Placeholder shown in the usage text.</param>
/// <param name="Description">Help text.</param>
/// <param name="Default">Default value shown in the usage text; null when the option is required.</param>
public sealed record OptionSpec(string Name, string ValueName, string Description, string? Default);

/// <summary>Option values of one invocation, with typed, validating accessors.</summary>
public sealed class ParsedOptions
{
    private readonly Dictionary<string, string> _values;

    private ParsedOptions(Dictionary<string, string> values) => _values = values;

    /// <summary>Parses <c>--name value</c> / <c>--name=value</c> pairs against the scenario's option list.</summary>
    /// <exception cref="UsageException">Unknown, repeated or value-less option, or a stray argument.</exception>
    public static ParsedOptions Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> specs)
    {
        var known = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{arg}' (options look like --name VALUE)");
            }

            string name;
            string? value = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }

            if (!known.ContainsKey(name))
            {
                throw new UsageException($"unknown option '{name}'; known options: {string.Join(", ", specs.Select(s => s.Name))}");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{name}: a value is required ({name} {known[name].ValueName})");
                }

                value = args[++i];
            }

            if (!values.TryAdd(name, value))
            {
                throw new UsageException($"{name}: given more than once");
            }
        }

        return new ParsedOptions(values);
    }

    /// <summary>A required string option.</summary>
    /// <exception cref="UsageException">Missing or empty.</exception>
    public string RequiredString(string name) =>
        _values.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v)
            ? v
            : throw new UsageException($"{name}: is required");

    /// <summary>An optional string option.</summary>
    public string? OptionalString(string name) => _values.GetValueOrDefault(name);

    /// <summary>An integer option within [min, max] (invariant culture; '_' separators allowed).</summary>
    /// <exception cref="UsageException">Not an integer or out of range.</exception>
    public int Int(string name, int defaultValue, int min, int max)
    {
        if (!_values.TryGetValue(name, out var raw))
        {
            return defaultValue;
        }

        if (!int.TryParse(raw.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw new UsageException($"{name}: must be an integer, got '{raw}'");
        }

        if (value < min || value > max)
        {
            throw new UsageException($"{name}: must be between {min} and {max}, got {value}");
        }

        return value;
    }

    /// <summary>Usage text of a scenario.</summary>
    public static string Usage(string program, IBenchmark benchmark)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"usage: {program} {benchmark.Name}");
        foreach (var o in benchmark.Options)
        {
            sb.Append(o.Default is null ? $" {o.Name} {o.ValueName}" : $" [{o.Name} {o.ValueName}]");
        }

        sb.AppendLine().AppendLine().AppendLine(benchmark.Summary).AppendLine();
        var width = benchmark.Options.Max(o => o.Name.Length + o.ValueName.Length + 1);
        foreach (var o in benchmark.Options)
        {
            var head = $"{o.Name} {o.ValueName}".PadRight(width);
            sb.Append(CultureInfo.InvariantCulture, $"  {head}  {o.Description}");
            sb.AppendLine(o.Default is null ? " (required)" : $" (default: {o.Default})");
        }

        return sb.ToString();
    }
}

/// <summary>A run went wrong (stall, lost data, failed verification); the message says what.</summary>
public sealed class BenchmarkFailedException(string message, Exception? inner = null) : Exception(message, inner);
