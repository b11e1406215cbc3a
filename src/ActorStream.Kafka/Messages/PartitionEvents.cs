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

/// <summary>Where an offset outside a partition's log was detected.</summary>
public enum OutOfRangeDetection
{
    /// <summary>The group's committed offset of a newly assigned partition (records deleted while nobody consumed them).</summary>
    Assignment,

    /// <summary>
    /// The fetch position of a partition being consumed: librdkafka reported <c>Local_AutoOffsetReset</c>
    /// (records were deleted while the consumer was still behind them).
    /// </summary>
    Fetch,
}

/// <summary>
/// A partition's committed offset (at assignment) or fetch position (while consuming) was outside
/// its log; the consumer applied its <see cref="Settings.OffsetOutOfRangePolicy"/>. Published on the
/// event stream (with publish-partition-events on) whatever the policy, so that the loss is never silent.
/// </summary>
/// <param name="ConsumerId">The consumer.</param>
/// <param name="GroupId">Its group.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Committed">The offset that was out of range: the group's committed offset (<see cref="OutOfRangeDetection.Assignment"/>) or the consumer's fetch position (<see cref="OutOfRangeDetection.Fetch"/>).</param>
/// <param name="LogStart">The partition's first offset (low watermark).</param>
/// <param name="LogEnd">The partition's end offset (high watermark).</param>
/// <param name="ResumedAt">Where consumption continues; null when the policy is fail.</param>
/// <param name="Skipped">Offsets that will never be processed: from the out-of-range offset to where consumption resumes (for fail: those already lost).</param>
/// <param name="Policy">The policy applied.</param>
/// <param name="DetectedAt">Whether the committed offset of a new assignment or the fetch position of a running consumer was out of range.</param>
public sealed record OffsetsSkipped(
    string ConsumerId, string GroupId, TopicPartition Partition, long Committed, long LogStart, long LogEnd, long? ResumedAt, long Skipped, Settings.OffsetOutOfRangePolicy Policy,
    OutOfRangeDetection DetectedAt = OutOfRangeDetection.Assignment);

/// <summary>
/// A subscribed topic's availability changed, as a consumer sees it (published on the event stream
/// with publish-partition-events on). Subscribe to this type for both subtypes.
/// </summary>
/// <param name="ConsumerId">The consumer.</param>
/// <param name="GroupId">Its group.</param>
/// <param name="Topic">The topic.</param>
public abstract record TopicAvailabilityChanged(string ConsumerId, string GroupId, string Topic);

/// <summary>
/// A subscribed topic is unknown to the cluster or has no leader (published once per outage, when
/// it starts). The consumer waits for it (librdkafka keeps refreshing metadata) and fails after
/// <paramref name="FailAfter"/>; <see cref="TopicAvailable"/> follows if it appears before.
/// </summary>
/// <param name="ConsumerId">The consumer.</param>
/// <param name="GroupId">Its group.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Code">Kafka's error code (e.g. UnknownTopicOrPart, LeaderNotAvailable).</param>
/// <param name="Reason">librdkafka's error text.</param>
/// <param name="Since">When the consumer first saw it.</param>
/// <param name="FailAfter">The consumer's unknown-topic-timeout; <see cref="TimeSpan.Zero"/> = it waits forever.</param>
public sealed record TopicUnavailable(string ConsumerId, string GroupId, string Topic, ErrorCode Code, string Reason, DateTimeOffset Since, TimeSpan FailAfter)
    : TopicAvailabilityChanged(ConsumerId, GroupId, Topic);

/// <summary>A topic that was <see cref="TopicUnavailable"/> is there again (its partitions were assigned, or the metadata shows it with leaders).</summary>
/// <param name="ConsumerId">The consumer.</param>
/// <param name="GroupId">Its group.</param>
/// <param name="Topic">The topic.</param>
/// <param name="UnavailableFor">How long it was unavailable.</param>
public sealed record TopicAvailable(string ConsumerId, string GroupId, string Topic, TimeSpan UnavailableFor)
    : TopicAvailabilityChanged(ConsumerId, GroupId, Topic);
