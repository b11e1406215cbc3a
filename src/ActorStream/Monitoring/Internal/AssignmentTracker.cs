using Akka.Actor;
using ActorStream.Kafka.Messages;
using ActorStream.Metrics;

namespace ActorStream.Monitoring.Internal;

/// <summary>
/// Follows the partition events of this node's consumers (event stream) so that readiness, status
/// and rebalance counts can be answered without asking the consumers.
/// </summary>
internal sealed class AssignmentTracker : ReceiveActor
{
    public AssignmentTracker(PipelineMonitoring state)
    {
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

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(PartitionsAssigned));
        Context.System.EventStream.Subscribe(Self, typeof(PartitionsRevoked));
        Context.System.EventStream.Subscribe(Self, typeof(PartitionsLost));
        Context.System.EventStream.Subscribe(Self, typeof(OffsetsSkipped));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
