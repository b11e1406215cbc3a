using Akka.Cluster.Sharding;
using ActorStream.Internal.Protocol;

namespace ActorStream.Internal.Hosting;

/// <summary>
/// Shard id = the record's Kafka partition, entity id = the record key: an entity's records all come
/// from one partition, so the shard can live on the node that consumes that partition.
/// </summary>
internal sealed class ShardEnvelopeExtractor : IMessageExtractor
{
    public string? EntityId(object message) => message is ShardEnvelope e ? e.EntityId : null;

    public object? EntityMessage(object message) => message is ShardEnvelope e ? e.Message : message;

    public string? ShardId(object message) => message is ShardEnvelope e ? e.ShardId : null;

    public string ShardId(string entityId, object? messageHint = null) =>
        messageHint is ShardEnvelope e ? e.ShardId : throw new ArgumentException($"Cannot place entity '{entityId}' without its record's partition");
}
