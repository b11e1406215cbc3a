using Akka.Actor;
using ActorStream.Kafka.Messages;
using ActorStream.Metrics;

namespace ActorStream.Monitoring.Internal;

/// <summary>
/// Follows the partition and topic events of this node's consumers (event stream) so that
/// readiness, status, rebalance counts and diagnostics can be answered without asking the consumers
/// (the connector knows nothing of monitoring). <see cref="PipelineMonitoring"/> subscribes it to
/// <see cref="EventTypes"/>. Also ends diagnostics that expire by time.
/// </summary>
internal sealed class AssignmentTracker : ReceiveActor, IWithTimers
{
    /// <summary>The event-stream types this actor handles.</summary>
    public static readonly IReadOnlyList<Type> EventTypes =
        [typeof(PartitionsAssigned), typeof(PartitionsRevoked), typeof(PartitionsLost), typeof(OffsetsSkipped), typeof(TopicAvailabilityChanged)];

    private readonly TimeSpan _sweepEvery;

    public AssignmentTracker(PipelineMonitoring state)
    {
        var tenth = state.Settings.SerializationErrorsWindow / 10;
        _sweepEvery = tenth < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : tenth > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : tenth;
        Receive<TopicUnavailable>(state.OnTopicUnavailable);
        Receive<TopicAvailable>(state.OnTopicAvailable);
        Receive<Sweep>(_ => state.SweepDiagnostics(DateTimeOffset.UtcNow));
        Receive<PartitionsAssigned>(e =>
        {
            state.OnAssignmentChanged(e.GroupId, e.Partitions.Select(p => (p.Topic, p.Partition.Value)), added: true);
            PipelineMetrics.Rebalances.Add(1, new KeyValuePair<string, object?>("group", e.GroupId), new KeyValuePair<string, object?>("event", "assigned"));
        });
        Receive<PartitionsRevoked>(e =>
        {
            state.OnAssignmentChanged(e.GroupId, e.Partitions.Select(p => (p.Topic, p.Partition.Value)), added: false);
            PipelineMetrics.Rebalances.Add(1, new KeyValuePair<string, object?>("group", e.GroupId), new KeyValuePair<string, object?>("event", "revoked"));
        });
        Receive<OffsetsSkipped>(state.OnOffsetsSkipped);
        Receive<PartitionsLost>(e =>
        {
            state.OnAssignmentChanged(e.GroupId, e.Partitions.Select(p => (p.Topic, p.Partition.Value)), added: false);
            PipelineMetrics.Rebalances.Add(1, new KeyValuePair<string, object?>("group", e.GroupId), new KeyValuePair<string, object?>("event", "lost"));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", Sweep.Instance, _sweepEvery);

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }
}
