using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// A partition's committed offset lies outside its log and the policy is
/// <see cref="Settings.OffsetOutOfRangePolicy.Fail"/>: records were deleted (retention) before they
/// were processed, or the topic was recreated. The message names the partition, the offsets and the
/// ways forward.
/// </summary>
public sealed class OffsetOutOfRangeException : KafkaException
{
    /// <summary>Creates the error.</summary>
    public OffsetOutOfRangeException(string groupId, TopicPartition partition, long committed, long logStart, long logEnd)
        : base(new Error(ErrorCode.OffsetOutOfRange,
            $"group {groupId}: committed offset {committed} of {partition.Topic}[{partition.Partition.Value}] is outside its log [{logStart}, {logEnd}): " +
            (committed < logStart
                ? $"{logStart - committed} record(s) were deleted (retention) before they were processed"
                : $"the committed offset is {committed - logEnd} past the log end (was the topic recreated?)") +
            "; choose offset-out-of-range = earliest or latest to continue (the skipped offsets are reported), or reset the group's offsets deliberately"))
    {
        GroupId = groupId;
        Partition = partition;
        Committed = committed;
        LogStart = logStart;
        LogEnd = logEnd;
    }

    /// <summary>The consumer group.</summary>
    public string GroupId { get; }

    /// <summary>The partition.</summary>
    public TopicPartition Partition { get; }

    /// <summary>The committed offset.</summary>
    public long Committed { get; }

    /// <summary>The partition's first offset.</summary>
    public long LogStart { get; }

    /// <summary>The partition's end offset.</summary>
    public long LogEnd { get; }
}
