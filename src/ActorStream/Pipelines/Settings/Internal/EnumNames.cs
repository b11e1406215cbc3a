namespace ActorStream.Pipelines.Settings.Internal;

/// <summary>Configuration spellings of the settings enums (kebab-case, matched case-insensitively).</summary>
internal static class EnumNames
{
    public static readonly IReadOnlyList<KeyValuePair<string, SupervisionDecision>> Decisions =
    [
        new("retry", SupervisionDecision.Retry),
        new("dead-letter", SupervisionDecision.DeadLetter),
        new("stop", SupervisionDecision.Stop),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, NullKeyPolicy>> NullKeyPolicies =
    [
        new("per-partition", NullKeyPolicy.PerPartition),
        new("dead-letter", NullKeyPolicy.DeadLetter),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, ValueFormat>> ValueFormats =
    [
        new("json", ValueFormat.Json),
        new("json-schema", ValueFormat.JsonSchema),
        new("json-validated", ValueFormat.JsonValidated),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, EmitFormat>> EmitFormats =
    [
        new("json", EmitFormat.Json),
        new("json-schema", EmitFormat.JsonSchema),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, PipelineOffsetOutOfRange>> OffsetOutOfRangePolicies =
    [
        new("earliest", PipelineOffsetOutOfRange.Earliest),
        new("latest", PipelineOffsetOutOfRange.Latest),
        new("fail", PipelineOffsetOutOfRange.Fail),
        new("default", PipelineOffsetOutOfRange.Default),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, bool>> Switches =
    [
        new("on", true),
        new("off", false),
        new("true", true),
        new("false", false),
        new("yes", true),
        new("no", false),
    ];

    public static string Name(PipelineOffsetOutOfRange value) => NameOf(OffsetOutOfRangePolicies, value);

    public static bool IsDefined(PipelineOffsetOutOfRange value) => OffsetOutOfRangePolicies.Any(p => p.Value == value);

    public static string Name(ValueFormat value) => NameOf(ValueFormats, value);

    public static string Name(EmitFormat value) => NameOf(EmitFormats, value);

    public static bool IsDefined(EmitFormat value) => EmitFormats.Any(p => p.Value == value);

    public static bool IsDefined(ValueFormat value) => ValueFormats.Any(p => p.Value == value);

    public static string Name(SupervisionDecision value) => NameOf(Decisions, value);

    public static string Name(NullKeyPolicy value) => NameOf(NullKeyPolicies, value);

    public static bool IsDefined(SupervisionDecision value) => Decisions.Any(p => p.Value == value);

    public static bool IsDefined(NullKeyPolicy value) => NullKeyPolicies.Any(p => p.Value == value);

    /// <summary>The value for <paramref name="raw"/>, or false.</summary>
    public static bool TryParse<T>(IReadOnlyList<KeyValuePair<string, T>> allowed, string raw, out T value)
    {
        foreach (var (name, v) in allowed)
        {
            if (string.Equals(name, raw.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>The problem text for an unknown value.</summary>
    public static string Unknown<T>(IReadOnlyList<KeyValuePair<string, T>> allowed, string raw) =>
        $"unknown value '{raw}'; allowed values: {string.Join(", ", allowed.Select(p => p.Key))}";

    private static string NameOf<T>(IReadOnlyList<KeyValuePair<string, T>> names, T value)
        where T : struct, Enum
    {
        foreach (var (name, v) in names)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return name;
            }
        }

        return value.ToString();
    }
}
