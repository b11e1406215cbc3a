using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorStream.Pipelines.Settings.Internal;

/// <summary>Configuration paths and key names of the pipeline settings, and their formatting in messages.</summary>
internal static partial class ConfigPaths
{
    public const string Pipelines = "actorstream.pipelines";
    public const string Defaults = "actorstream.pipeline-defaults";

    public const string Topic = "topic";
    public const string Topics = "topics";
    public const string GroupId = "group-id";
    public const string Entity = "entity";
    public const string DlqTopic = "dlq-topic";
    public const string MaxInFlightPerPartition = "max-in-flight-per-partition";
    public const string AckTimeout = "ack-timeout";
    public const string NullKeyPolicy = "null-key-policy";
    public const string Retry = "retry";
    public const string Supervision = "supervision";
    public const string EmitTopics = "emit-topics";
    public const string PassivateAfter = "passivate-after";
    public const string SnapshotEvery = "snapshot-every";
    public const string ValueFormat = "value-format";
    public const string EmitFormat = "emit-format";
    public const string Critical = "critical";
    public const string OffsetOutOfRange = "offset-out-of-range";

    public const string MaxAttempts = "max-attempts";
    public const string MinBackoff = "min-backoff";
    public const string MaxBackoff = "max-backoff";
    public const string RandomFactor = "random-factor";

    public const string Default = "default";
    public const string Rules = "rules";

    /// <summary>Keys of a pipeline block, in documentation order.</summary>
    public static readonly IReadOnlyList<string> PipelineKeys =
    [
        Topic, Topics, GroupId, Entity, DlqTopic, MaxInFlightPerPartition, AckTimeout, NullKeyPolicy, Retry, Supervision, EmitTopics, PassivateAfter, SnapshotEvery, ValueFormat,
        EmitFormat, Critical, OffsetOutOfRange,
    ];

    /// <summary>Keys that only a pipeline block may set, never <c>actorstream.pipeline-defaults</c>.</summary>
    public static readonly IReadOnlyList<string> PipelineOnlyKeys = [Topic, Topics, Entity];

    public static readonly IReadOnlyList<string> RetryKeys = [MaxAttempts, MinBackoff, MaxBackoff, RandomFactor];

    public static readonly IReadOnlyList<string> SupervisionKeys = [Default, Rules];

    public static string Sub(string section, string key) => $"{section}.{key}";

    /// <summary>Key of a supervision rule, quoted because exception type names contain dots.</summary>
    public static string Rule(string exceptionType) => $"{Supervision}.{Rules}.{Quote(exceptionType)}";

    /// <summary>Full path of <paramref name="key"/> in the block of <paramref name="pipeline"/>.</summary>
    public static string Pipeline(string pipeline, string key)
    {
        var block = string.IsNullOrEmpty(pipeline) ? Pipelines : $"{Pipelines}.{QuoteIfNeeded(pipeline)}";
        return string.IsNullOrEmpty(key) ? block : $"{block}.{key}";
    }

    /// <summary>Full path of <paramref name="key"/> in <c>actorstream.pipeline-defaults</c>.</summary>
    public static string InDefaults(string key) => string.IsNullOrEmpty(key) ? Defaults : $"{Defaults}.{key}";

    /// <summary>A HOCON path element: quoted unless it is a plain unquoted key.</summary>
    public static string QuoteIfNeeded(string element) => PlainKey().IsMatch(element) ? element : Quote(element);

    private static string Quote(string element) =>
        "\"" + element.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A duration in HOCON syntax (<c>200ms</c>, <c>30s</c>, <c>1.5ms</c>), for messages and ToString.</summary>
    public static string Format(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return $"{value.Ticks / TimeSpan.TicksPerSecond}s";
        }

        if (value.Ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return $"{value.Ticks / TimeSpan.TicksPerMillisecond}ms";
        }

        return value.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture) + "ms";
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PlainKey();
}
