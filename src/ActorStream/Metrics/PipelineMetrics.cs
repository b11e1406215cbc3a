using System.Diagnostics.Metrics;

namespace ActorStream.Metrics;

/// <summary>The platform's instruments (meter <c>ActorStream</c>).</summary>
internal static class PipelineMetrics
{
    public const string MeterName = "ActorStream";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> RecordsProcessed = Meter.CreateCounter<long>("actorstream.records.processed", "records", "Records acknowledged by their entity");

    public static readonly Counter<long> RecordsRetried = Meter.CreateCounter<long>("actorstream.records.retried", "records", "Redeliveries of a record after its entity failed");

    public static readonly Counter<long> RecordsDeadLettered = Meter.CreateCounter<long>("actorstream.records.dead_lettered", "records", "Records written to a dead-letter topic");

    public static readonly Counter<long> DeadLetterWriteFailures = Meter.CreateCounter<long>("actorstream.dlq.write_failures", "attempts", "Failed dead-letter writes (retried)");

    public static readonly Counter<long> AckTimeouts = Meter.CreateCounter<long>("actorstream.records.ack_timeouts", "records", "Records re-sent because no acknowledgement came within ack-timeout");

    public static readonly Counter<long> RecordsEmitted = Meter.CreateCounter<long>("actorstream.records.emitted", "records", "Records entities emitted to output topics");
}
