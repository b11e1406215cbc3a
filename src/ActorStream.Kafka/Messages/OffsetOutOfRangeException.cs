using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// A partition's committed offset (at assignment) or fetch position (while consuming) lies outside
/// its log and the policy is <see cref="Settings.OffsetOutOfRangePolicy.Fail"/>: records were deleted
/// (retention) before they were processed, or the topic was recreated. Also raised whatever the policy
/// when a running consumer finds the log end below its own position (the log was truncated under it).
/// The message names the partition, the offsets and the ways forward.
/// </summary>
public sealed class OffsetOutOfRangeException : KafkaException
{
    /// <summary>Creates the error.</summary>
    /// <param name="groupId">The consumer group.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="committed">The offset out of range: the committed offset, or the fetch position (see <paramref name="detectedAt"/>).</param>
    /// <param name="logStart">The partition's first offset.</param>
    /// <param name="logEnd">The partition's end offset.</param>
    /// <param name="detectedAt">Whether it was the committed offset of a new assignment or the fetch position of a running consumer.</param>
    public OffsetOutOfRangeException(string groupId, TopicPartition partition, long committed, long logStart, long logEnd,
        OutOfRangeDetection detectedAt = OutOfRangeDetection.Assignment)
        : base(new Error(ErrorCode.OffsetOutOfRange, Describe(groupId, partition, committed, logStart, logEnd, detectedAt)))
    {
        GroupId = groupId;
        Partition = partition;
        Committed = committed;
        LogStart = logStart;
        LogEnd = logEnd;
        DetectedAt = detectedAt;
    }

    /// <summary>The consumer group.</summary>
    public string GroupId { get; }

    /// <summary>The partition.</summary>
    public TopicPartition Partition { get; }

    /// <summary>The offset out of range: the committed offset, or the fetch position when <see cref="DetectedAt"/> is <see cref="OutOfRangeDetection.Fetch"/>.</summary>
    public long Committed { get; }

    /// <summary>The partition's first offset.</summary>
    public long LogStart { get; }

    /// <summary>The partition's end offset.</summary>
    public long LogEnd { get; }

    /// <summary>Whether the committed offset of a new assignment or the fetch position of a running consumer was out of range.</summary>
    public OutOfRangeDetection DetectedAt { get; }

    private static string Describe(string groupId, TopicPartition partition, long offset, long logStart, long logEnd, OutOfRangeDetection detectedAt)
    {
        var where = $"{partition.Topic}[{partition.Partition.Value}]";
        if (detectedAt == OutOfRangeDetection.Fetch)
        {
            return offset < logStart
                ? $"group {groupId}: fetch position {offset} of {where} is outside its log [{logStart}, {logEnd}): {logStart - offset} record(s) were deleted (retention) " +
                  "while the consumer was still behind them, before they were processed; choose offset-out-of-range = earliest or latest to continue " +
                  "(the skipped offsets are reported), raise the topic's retention, or reset the group's offsets deliberately"
                : $"group {groupId}: the log of {where} ends at {logEnd}, below this consumer's fetch position {offset} (the topic was recreated, or an unclean " +
                  "leader election truncated it); restart the pipeline: it resumes from the committed offset under its offset-out-of-range policy";
        }

        return $"group {groupId}: committed offset {offset} of {where} is outside its log [{logStart}, {logEnd}): " +
            (offset < logStart
                ? $"{logStart - offset} record(s) were deleted (retention) before they were processed"
                : $"the committed offset is {offset - logEnd} past the log end (was the topic recreated?)") +
            "; choose offset-out-of-range = earliest or latest to continue (the skipped offsets are reported), or reset the group's offsets deliberately";
    }
}
