using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// A change of a consumer's partitions, published on the actor system's event stream (subscribe to
/// <see cref="PartitionEvent"/> or one of the subtypes).
/// </summary>
/// <param name="ConsumerId">Identifies the consumer (client.id based) that saw the change.</param>
/// <param name="GroupId">The consumer group.</param>
/// <param name="Partitions">The partitions that changed (incremental with cooperative rebalancing).</param>
public abstract record PartitionEvent(string ConsumerId, string GroupId, IReadOnlyList<TopicPartition> Partitions);

/// <summary>Partitions were assigned to the consumer; records of them will follow.</summary>
public sealed record PartitionsAssigned(string ConsumerId, string GroupId, IReadOnlyList<TopicPartition> Partitions)
    : PartitionEvent(ConsumerId, GroupId, Partitions);

/// <summary>
/// Partitions were revoked in an orderly rebalance. From this event on no record of them is emitted;
/// pending offsets were flushed (bounded by revoke-timeout) before the partitions were released.
/// </summary>
public sealed record PartitionsRevoked(string ConsumerId, string GroupId, IReadOnlyList<TopicPartition> Partitions)
    : PartitionEvent(ConsumerId, GroupId, Partitions);

/// <summary>
/// Partitions were lost (session timed out, fenced): another member may already own them, so
/// nothing more was committed for them.
/// </summary>
public sealed record PartitionsLost(string ConsumerId, string GroupId, IReadOnlyList<TopicPartition> Partitions)
    : PartitionEvent(ConsumerId, GroupId, Partitions);

/// <summary>
/// User code called on the consumer thread when partitions change. Keep it quick:
/// <see cref="OnRevokedAsync"/> is awaited (bounded by <c>revoke-timeout</c>) before the revoked
/// partitions' offsets are flushed, which lets a pipeline drain its in-flight records first.
/// </summary>
public interface IPartitionEventHandler
{
    /// <summary>Called after partitions were assigned, before any of their records is emitted.</summary>
    void OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>
    /// Called when partitions are revoked, after their emission stopped and before their pending
    /// offsets are committed and the partitions released.
    /// </summary>
    Task OnRevokedAsync(IReadOnlyList<TopicPartition> partitions) => Task.CompletedTask;

    /// <summary>Called when partitions were lost; their offsets can no longer be committed.</summary>
    void OnLost(IReadOnlyList<TopicPartition> partitions)
    {
    }
}
