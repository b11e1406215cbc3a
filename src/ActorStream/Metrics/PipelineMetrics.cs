using System.Diagnostics.Metrics;
using ActorStream.Monitoring;

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

    public static readonly Counter<long> OutputRetries = Meter.CreateCounter<long>("actorstream.outputs.retried", "attempts",
        "Records retried because their outputs could not be written yet (output topic unavailable, producer replaced, schema registry down); never dead-lettered");

    public static readonly Counter<long> DeadLettersCut = Meter.CreateCounter<long>("actorstream.dlq.cut_to_fit", "records",
        "Dead letters written with their value, headers or key cut to fit message.max.bytes (marked actorstream.dlq.<part>.truncated)");

    public static readonly Counter<long> AckTimeouts = Meter.CreateCounter<long>("actorstream.records.ack_timeouts", "records", "Records re-sent because no acknowledgement came within ack-timeout");

    public static readonly Counter<long> RecordsEmitted = Meter.CreateCounter<long>("actorstream.records.emitted", "records", "Records entities emitted to output topics");

    /// <summary>
    /// Redelivered records an event-sourced entity had applied before (after a crash, rebalance or
    /// reprocessing): acknowledged without being applied again. Tag <c>outputs</c>: <c>delivered</c>
    /// (nothing emitted) or <c>re-emitted</c> (the outputs may not have reached Kafka, so they were sent again).
    /// </summary>
    public static readonly Counter<long> RecordsAlreadyApplied = Meter.CreateCounter<long>("actorstream.records.already_applied", "records",
        "Redelivered records an entity had already applied: acknowledged without applying them again");

    public static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>("actorstream.records.in_flight", "records", "Records taken from Kafka and not yet acknowledged");

    public static readonly Histogram<double> ProcessingDuration = Meter.CreateHistogram<double>("actorstream.record.processing.duration", "s",
        "From the partition stream taking a record to its acknowledgement (queueing behind its key, retries and the entity's work)");

    public static readonly Histogram<double> EndToEndLatency = Meter.CreateHistogram<double>("actorstream.record.end_to_end.latency", "s",
        "From the record's timestamp (produce time) to its acknowledgement");

    public static readonly Counter<long> RecordsDelivered = Meter.CreateCounter<long>("actorstream.records.delivered", "records",
        "Records delivered to entity hosts, by locality: local = handled on the node that consumed them (co-location), remote = sent to another node");

    public static readonly UpDownCounter<long> ActiveEntities = Meter.CreateUpDownCounter<long>("actorstream.entities.active", "entities", "Entity hosts alive on this node");

    public static readonly Counter<long> Diagnostics = Meter.CreateCounter<long>("actorstream.diagnostics", "events", "Known Kafka/cluster conditions recognised, by kind (see /api/cluster)");

    public static readonly Counter<long> Rebalances = Meter.CreateCounter<long>("actorstream.consumer.rebalance_events", "events", "Partition assignments, revocations and losses of this node's consumers");

    private static readonly List<WeakReference<PipelineMonitoring>> LagSources = [];

    static PipelineMetrics()
    {
        Meter.CreateObservableGauge("actorstream.consumer.lag", ObserveLag, "records",
            "Records of a pipeline's topic partition not yet processed: high watermark - committed offset of its group");
        Meter.CreateObservableGauge("actorstream.alerts.firing", ObserveAlerts, "alerts", "Alerts firing, per pipeline and rule");
    }

    /// <summary>Lets the gauges read <paramref name="monitoring"/> (one per actor system; dead systems drop out).</summary>
    public static void RegisterLagSource(PipelineMonitoring monitoring)
    {
        lock (LagSources)
        {
            LagSources.RemoveAll(w => !w.TryGetTarget(out _));
            LagSources.Add(new WeakReference<PipelineMonitoring>(monitoring));
        }
    }

    private static List<PipelineMonitoring> Sources()
    {
        lock (LagSources)
        {
            return LagSources.Select(w => w.TryGetTarget(out var m) ? m : null).OfType<PipelineMonitoring>().ToList();
        }
    }

    private static IEnumerable<Measurement<long>> ObserveLag() =>
        Sources().SelectMany(m => m.Lag).SelectMany(l => l.Partitions.Select(p => new Measurement<long>(p.Lag,
            new KeyValuePair<string, object?>("pipeline", l.Pipeline),
            new KeyValuePair<string, object?>("group", l.GroupId),
            new KeyValuePair<string, object?>("topic", p.Topic),
            new KeyValuePair<string, object?>("partition", p.Partition),
            new KeyValuePair<string, object?>("status", p.Status.ToString().ToUpperInvariant()))));

    private static IEnumerable<Measurement<long>> ObserveAlerts() =>
        Sources().SelectMany(m => m.ActiveAlerts).GroupBy(a => (a.Pipeline, a.Rule)).Select(g => new Measurement<long>(g.Count(),
            new KeyValuePair<string, object?>("pipeline", g.Key.Pipeline),
            new KeyValuePair<string, object?>("rule", g.Key.Rule.ToString())));
}
