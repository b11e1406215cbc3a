using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding.External;
using Akka.Event;
using ActorStream.Kafka.Messages;
using Confluent.Kafka;

namespace ActorStream.Internal.Sharding;

/// <summary>
/// Keeps a pipeline's shards where its partitions are consumed: when this node's consumer is
/// assigned partitions, the shards with those ids (shard = partition) are placed on this node
/// through the external shard allocation, so in steady state every record is handled on the node
/// that consumed it. Wraps the consumer's own partition event handler, if any.
/// </summary>
internal sealed class PartitionShardPlacement : IPartitionEventHandler
{
    private readonly IExternalShardAllocationClient _client;
    private readonly Address _self;
    private readonly IPartitionEventHandler? _inner;
    private readonly ILoggingAdapter _log;
    private readonly string _typeName;

    public PartitionShardPlacement(ActorSystem system, string typeName, IPartitionEventHandler? inner)
    {
        _client = ExternalShardAllocation.Get(system).ClientFor(typeName);
        _self = Cluster.Get(system).SelfAddress;
        _inner = inner;
        _typeName = typeName;
        _log = Logging.GetLogger(system, "ActorStream.Sharding");
    }

    public void OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        var locations = partitions
            .Select(p => p.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Distinct()
            .ToImmutableDictionary(shard => shard, _ => _self);
        _client.UpdateShardLocations(locations).ContinueWith(
            t => _log.Warning("{0}: placing shards {1} on {2} failed: {3}", _typeName, string.Join(",", locations.Keys), _self, t.Exception?.GetBaseException().Message),
            TaskContinuationOptions.OnlyOnFaulted);
        _inner?.OnAssigned(partitions);
    }

    public Task OnRevokedAsync(IReadOnlyList<TopicPartition> partitions) => _inner?.OnRevokedAsync(partitions) ?? Task.CompletedTask;

    public void OnLost(IReadOnlyList<TopicPartition> partitions) => _inner?.OnLost(partitions);
}
