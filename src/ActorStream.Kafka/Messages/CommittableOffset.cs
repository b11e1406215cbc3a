using ActorStream.Kafka.Internal;
using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// The position of one consumed record. Committing it commits <see cref="Offset"/> + 1 (Kafka's
/// convention: the committed offset is the next record to read) for <see cref="Partition"/>.
/// </summary>
public sealed class CommittableOffset : ICommittable
{
    internal CommittableOffset(ICommitTarget target, TopicPartition partition, long offset, long assignmentEpoch, string groupId)
    {
        Target = target;
        Partition = partition;
        Offset = offset;
        AssignmentEpoch = assignmentEpoch;
        GroupId = groupId;
    }

    /// <summary>Topic and partition of the record.</summary>
    public TopicPartition Partition { get; }

    /// <summary>Offset of the record itself.</summary>
    public long Offset { get; }

    /// <summary>Consumer group the record was consumed in.</summary>
    public string GroupId { get; }

    /// <inheritdoc />
    public long BatchSize => 1;

    internal ICommitTarget Target { get; }

    internal long AssignmentEpoch { get; }

    internal PendingOffset ToPending() => new(Partition, Offset + 1, AssignmentEpoch);

    /// <inheritdoc />
    public Task CommitAsync(CancellationToken cancellationToken = default) =>
        Target.CommitAsync([ToPending()], cancellationToken);

    /// <inheritdoc />
    public override string ToString() => $"{Partition.Topic}[{Partition.Partition.Value}]@{Offset}";
}
