using System.Diagnostics.Metrics;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// The connector's instruments (meter <c>ActorStream.Kafka</c>), exported by whatever
/// System.Diagnostics.Metrics listener the host wires up (OpenTelemetry, dotnet-counters).
/// </summary>
internal static class KafkaMetrics
{
    public const string MeterName = "ActorStream.Kafka";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> RecordsConsumed = Meter.CreateCounter<long>("actorstream.kafka.records.consumed", "records", "Records fetched by consumers");

    public static readonly Counter<long> CommitRequests = Meter.CreateCounter<long>("actorstream.kafka.commit.requests", "requests", "OffsetCommit calls sent to the group coordinator");

    public static readonly Counter<long> CommitFailures = Meter.CreateCounter<long>("actorstream.kafka.commit.failures", "requests", "Commit attempts that failed (retried or not)");

    public static readonly Counter<long> CommitsSkippedUnassigned = Meter.CreateCounter<long>("actorstream.kafka.commit.skipped_unassigned", "offsets", "Offsets not committed because their partition is no longer assigned to this consumer");

    public static readonly Histogram<double> CommitLatency = Meter.CreateHistogram<double>("actorstream.kafka.commit.latency", "ms", "Time from sending a commit to its acknowledgement");

    public static readonly Counter<long> PartitionEvents = Meter.CreateCounter<long>("actorstream.kafka.partition.events", "events", "Partition assignments, revocations and losses");

    public static readonly Counter<long> OffsetsSkipped = Meter.CreateCounter<long>("actorstream.kafka.offsets.skipped", "offsets",
        "Offsets never processed because a committed offset or fetch position was outside the partition's log (retention, recreated topic)");

    public static readonly Counter<long> RecordsProduced = Meter.CreateCounter<long>("actorstream.kafka.records.produced", "records", "Records acknowledged by the broker");

    public static readonly Counter<long> ProducersRenewed = Meter.CreateCounter<long>("actorstream.kafka.producers.renewed", "producers",
        "Producer clients replaced after a fatal error (their unacknowledged records are sent again through the new client)");
}
