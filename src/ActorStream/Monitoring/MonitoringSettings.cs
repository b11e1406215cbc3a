using Akka.Configuration;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Monitoring;

/// <summary>
/// <c>actorstream.monitoring</c>: how often lag is read, how partition status is judged, the alert
/// rules and the webhooks alerts are posted to. Immutable; <see cref="Create(Config)"/> validates
/// and names the offending key.
/// </summary>
public sealed record MonitoringSettings
{
    /// <summary>Configuration path of the section.</summary>
    public const string Path = "actorstream.monitoring";

    /// <summary>Whether nodes monitor their pipelines' lag and evaluate alerts.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How often committed offsets and high watermarks are read.</summary>
    public TimeSpan LagInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a committed offset may stand still with lag before the partition is STALLED.</summary>
    public TimeSpan StallWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a committed offset may stand still with lag before the partition is STOPPED.</summary>
    public TimeSpan StoppedAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Rule "lag above N for T": total lag of a pipeline above this (0 = rule off).</summary>
    public long LagAboveThreshold { get; init; } = 10_000;

    /// <summary>Rule "lag above N for T": for how long.</summary>
    public TimeSpan LagAboveFor { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Rule "lag growing for T" (null = rule off).</summary>
    public TimeSpan? LagGrowingFor { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Rule "stalled partition": a partition STALLED or STOPPED fires an alert.</summary>
    public bool StalledPartition { get; init; } = true;

    /// <summary>Rule "DLQ rate above R": dead letters per minute (0 = rule off).</summary>
    public double DlqPerMinuteAbove { get; init; }

    /// <summary>Rule "stuck key": a key whose oldest unacknowledged record waits longer than this (null = rule off).</summary>
    public TimeSpan? StuckKeyOlderThan { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an "offsets skipped" alert stays firing after the skip (the loss itself cannot clear).</summary>
    public TimeSpan OffsetsSkippedKeepFor { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Rule "rebalance storm": more than this many partition events of a group within <see cref="RebalanceStormWithin"/> (0 = off).</summary>
    public int RebalanceStormMax { get; init; } = 20;

    /// <summary>Window of the rebalance-storm rule.</summary>
    public TimeSpan RebalanceStormWithin { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Window of the serialization diagnostic: records of a pipeline's topic dead-lettered at stage
    /// deserialize or schema are counted over it, and the diagnostic ends after a window without any.
    /// </summary>
    public TimeSpan SerializationErrorsWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>URLs that receive every alert firing and resolving as a JSON POST.</summary>
    public IReadOnlyList<Uri> Webhooks { get; init; } = [];

    /// <summary>Attempts per webhook delivery, including the first.</summary>
    public int WebhookMaxAttempts { get; init; } = 5;

    /// <summary>Backoff before the first webhook retry; doubles per attempt up to <see cref="WebhookMaxBackoff"/>.</summary>
    public TimeSpan WebhookMinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the webhook retry backoff.</summary>
    public TimeSpan WebhookMaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reads <c>actorstream.monitoring</c> of <paramref name="root"/> over the embedded reference.</summary>
    /// <exception cref="MonitoringConfigurationException">A value is invalid; the message names the key.</exception>
    public static MonitoringSettings Create(Config root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var c = (root.IsEmpty ? PipelineDefaults.ReferenceConfig : root.WithFallback(PipelineDefaults.ReferenceConfig)).GetConfig(Path);
        var lagInterval = Duration(c, "lag-interval");
        var window = Duration(c, "stall-window");
        var stopped = Duration(c, "stopped-after");
        if (stopped < window)
        {
            throw new MonitoringConfigurationException($"{Path}.stopped-after", $"must be >= stall-window ({window}); got {stopped}");
        }

        var webhooks = new List<Uri>();
        foreach (var raw in c.GetStringList("webhooks") ?? [])
        {
            if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new MonitoringConfigurationException($"{Path}.webhooks", $"'{raw}' is not an http(s) URL");
            }

            webhooks.Add(uri);
        }

        var minBackoff = Duration(c, "webhook-retry.min-backoff");
        var maxBackoff = Duration(c, "webhook-retry.max-backoff");
        if (maxBackoff < minBackoff)
        {
            throw new MonitoringConfigurationException($"{Path}.webhook-retry.max-backoff", $"must be >= min-backoff ({minBackoff}); got {maxBackoff}");
        }

        return new MonitoringSettings
        {
            Enabled = Bool(c, "enabled"),
            LagInterval = lagInterval,
            StallWindow = window,
            StoppedAfter = stopped,
            LagAboveThreshold = Long(c, "alerts.lag-above.threshold", 0),
            LagAboveFor = Duration(c, "alerts.lag-above.for", allowZero: true),
            LagGrowingFor = OptionalDuration(c, "alerts.lag-growing.for"),
            StalledPartition = Bool(c, "alerts.stalled-partition"),
            DlqPerMinuteAbove = Double(c, "alerts.dlq-rate-above.per-minute"),
            StuckKeyOlderThan = OptionalDuration(c, "alerts.stuck-key.older-than"),
            OffsetsSkippedKeepFor = Duration(c, "alerts.offset-out-of-range.keep-for"),
            RebalanceStormMax = (int)Long(c, "alerts.rebalance-storm.max-events", 0),
            RebalanceStormWithin = Duration(c, "alerts.rebalance-storm.within"),
            SerializationErrorsWindow = Duration(c, "serialization-errors.window"),
            Webhooks = webhooks,
            WebhookMaxAttempts = (int)Long(c, "webhook-retry.max-attempts", 1),
            WebhookMinBackoff = minBackoff,
            WebhookMaxBackoff = maxBackoff,
        };
    }

    private static string Raw(Config c, string key) =>
        c.GetValue(key) is { } v && v.IsString() ? v.GetString() : throw new MonitoringConfigurationException($"{Path}.{key}", "is required");

    private static TimeSpan Duration(Config c, string key, bool allowZero = false)
    {
        var raw = Raw(c, key);
        TimeSpan value;
        try
        {
            value = c.GetTimeSpan(key);
        }
        catch (Exception)
        {
            throw new MonitoringConfigurationException($"{Path}.{key}", $"must be a duration such as 30s or 5m; got '{raw}'");
        }

        return value > TimeSpan.Zero || (allowZero && value == TimeSpan.Zero)
            ? value
            : throw new MonitoringConfigurationException($"{Path}.{key}", $"must be > 0; got '{raw}'");
    }

    private static TimeSpan? OptionalDuration(Config c, string key) =>
        Raw(c, key) is "off" ? null : Duration(c, key);

    private static bool Bool(Config c, string key) => Raw(c, key) switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        var raw => throw new MonitoringConfigurationException($"{Path}.{key}", $"must be on or off; got '{raw}'"),
    };

    private static long Long(Config c, string key, long min)
    {
        var raw = Raw(c, key);
        return long.TryParse(raw, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min
            ? v
            : throw new MonitoringConfigurationException($"{Path}.{key}", $"must be a whole number >= {min}; got '{raw}'");
    }

    private static double Double(Config c, string key)
    {
        var raw = Raw(c, key);
        return double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v
            : throw new MonitoringConfigurationException($"{Path}.{key}", $"must be a number >= 0; got '{raw}'");
    }
}
