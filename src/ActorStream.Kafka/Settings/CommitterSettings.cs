using Akka.Actor;
using Akka.Configuration;
using ActorStream.Kafka.Internal;

namespace ActorStream.Kafka.Settings;

/// <summary>What the committer flow waits for before it emits a committed batch.</summary>
public enum CommitDelivery
{
    /// <summary>Emit after the broker acknowledged the commit; commit failures fail the stream.</summary>
    WaitForAck,

    /// <summary>Emit at once; a failed commit does not fail the stream (a later commit covers it, or the records are redelivered).</summary>
    SendAndForget,
}

/// <summary>
/// Batching of offset commits (<c>actorstream.kafka.committer</c>). Immutable; use the
/// <c>WithX</c> methods to derive variants.
/// </summary>
public sealed class CommitterSettings
{
    private static readonly Dictionary<string, CommitDelivery> DeliveryValues = new()
    {
        ["wait-for-ack"] = CommitDelivery.WaitForAck,
        ["send-and-forget"] = CommitDelivery.SendAndForget,
    };

    private CommitterSettings(int maxBatch, TimeSpan maxInterval, int parallelism, CommitDelivery delivery)
    {
        MaxBatch = maxBatch;
        MaxInterval = maxInterval;
        Parallelism = parallelism;
        Delivery = delivery;
    }

    /// <summary>Commit once this many offsets were collected since the last commit.</summary>
    public int MaxBatch { get; }

    /// <summary>Commit once this much time passed since the first offset of the current batch.</summary>
    public TimeSpan MaxInterval { get; }

    /// <summary>Commit requests in flight at once.</summary>
    public int Parallelism { get; }

    /// <summary>Whether the flow waits for the commit acknowledgement.</summary>
    public CommitDelivery Delivery { get; }

    /// <summary>Reads <c>actorstream.kafka.committer</c> from the system's configuration.</summary>
    public static CommitterSettings Create(ActorSystem system) => Create(KafkaDefaults.Section(system));

    /// <summary>
    /// Reads the committer settings from an <c>actorstream.kafka</c> section (as returned by
    /// <see cref="KafkaDefaults.Section(Config)"/>).
    /// </summary>
    /// <exception cref="KafkaConfigurationException">A value is invalid; the message names the key.</exception>
    public static CommitterSettings Create(Config kafkaSection)
    {
        var r = new ConfigReader(KafkaDefaults.WithReferenceFallback(kafkaSection), KafkaDefaults.ConfigPath)
            .Section("committer");
        return new CommitterSettings(
            r.PositiveInt("max-batch", 1000),
            r.Duration("max-interval", TimeSpan.FromSeconds(1)),
            r.PositiveInt("parallelism", 1),
            r.Enum("delivery", CommitDelivery.WaitForAck, DeliveryValues));
    }

    /// <summary>Returns a copy with another <see cref="MaxBatch"/> (must be &gt;= 1).</summary>
    public CommitterSettings WithMaxBatch(int maxBatch) =>
        maxBatch >= 1
            ? new(maxBatch, MaxInterval, Parallelism, Delivery)
            : throw new KafkaConfigurationException($"{KafkaDefaults.ConfigPath}.committer.max-batch", $"must be an integer >= 1, got {maxBatch}");

    /// <summary>Returns a copy with another <see cref="MaxInterval"/> (must be &gt; 0).</summary>
    public CommitterSettings WithMaxInterval(TimeSpan maxInterval) =>
        maxInterval > TimeSpan.Zero
            ? new(MaxBatch, maxInterval, Parallelism, Delivery)
            : throw new KafkaConfigurationException($"{KafkaDefaults.ConfigPath}.committer.max-interval", $"must be a duration > 0, got {maxInterval}");

    /// <summary>Returns a copy with another <see cref="Parallelism"/> (must be &gt;= 1).</summary>
    public CommitterSettings WithParallelism(int parallelism) =>
        parallelism >= 1
            ? new(MaxBatch, MaxInterval, parallelism, Delivery)
            : throw new KafkaConfigurationException($"{KafkaDefaults.ConfigPath}.committer.parallelism", $"must be an integer >= 1, got {parallelism}");

    /// <summary>Returns a copy with another <see cref="Delivery"/>.</summary>
    public CommitterSettings WithDelivery(CommitDelivery delivery) => new(MaxBatch, MaxInterval, Parallelism, delivery);

    /// <inheritdoc />
    public override string ToString() =>
        $"CommitterSettings(max-batch={MaxBatch}, max-interval={MaxInterval}, parallelism={Parallelism}, delivery={Delivery})";
}
