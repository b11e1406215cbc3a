using ActorStream.Kafka.Internal;

namespace ActorStream.Kafka.Settings;

/// <summary>
/// How a commit is retried after a retriable broker error (<c>actorstream.kafka.consumer.commit-retry</c>).
/// </summary>
public sealed record CommitRetrySettings
{
    /// <summary>Attempts per commit request, including the first.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>Backoff before the second attempt; doubles for each further attempt.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of the backoff.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Backoff before attempt <paramref name="attempt"/> (2 for the first retry).</summary>
    public TimeSpan BackoffFor(int attempt)
    {
        var factor = Math.Pow(2, Math.Max(0, attempt - 2));
        var ms = Math.Min(MaxBackoff.TotalMilliseconds, MinBackoff.TotalMilliseconds * factor);
        return TimeSpan.FromMilliseconds(ms);
    }

    internal static CommitRetrySettings Read(ConfigReader r)
    {
        var s = new CommitRetrySettings
        {
            MaxAttempts = r.PositiveInt("max-attempts", 10),
            MinBackoff = r.Duration("min-backoff", TimeSpan.FromMilliseconds(100)),
            MaxBackoff = r.Duration("max-backoff", TimeSpan.FromSeconds(5)),
        };
        if (s.MaxBackoff < s.MinBackoff)
        {
            throw new KafkaConfigurationException(r.Key("max-backoff"), $"must be >= min-backoff ({s.MinBackoff}), got {s.MaxBackoff}");
        }

        return s;
    }
}
