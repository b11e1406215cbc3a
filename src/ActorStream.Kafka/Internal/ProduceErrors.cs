using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Which produce errors are the record's own fault. Everything else a broker or the client reports
/// (transport failures, timeouts, a full queue, leaders moving, a topic being created, authorization
/// being fixed, a fatal producer that is replaced) can clear, so callers retry it for as long as it
/// lasts instead of giving up on the record.
/// </summary>
internal static class ProduceErrors
{
    /// <summary>The record is larger than the producer's <c>message.max.bytes</c> or the topic's <c>max.message.bytes</c>.</summary>
    public static bool IsSizeRefusal(ErrorCode code) =>
        code is ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidMsgSize;

    /// <summary>No retry can ever write the record as it is: too large, an invalid topic name, a record the broker calls invalid, or bytes that could not be serialized.</summary>
    public static bool IsPermanent(ErrorCode code) =>
        IsSizeRefusal(code) || code is ErrorCode.TopicException or ErrorCode.InvalidRecord or ErrorCode.Local_KeySerialization or ErrorCode.Local_ValueSerialization;

    /// <summary>
    /// librdkafka's upper bound for one record's bytes on top of its key, value and headers, as it checks
    /// <c>message.max.bytes</c> (record length, attributes, timestamp and offset deltas, key/value lengths,
    /// header count: 36 bytes as varints at their widest), rounded up.
    /// </summary>
    public const int RecordOverhead = 64;

    /// <summary>The size librdkafka checks against <c>message.max.bytes</c>, at most (headers: two length varints each).</summary>
    public static long RecordSize(int keyBytes, int valueBytes, IEnumerable<(string Name, int ValueBytes)> headers) =>
        RecordOverhead + keyBytes + valueBytes + headers.Sum(h => 10L + System.Text.Encoding.UTF8.GetByteCount(h.Name) + h.ValueBytes);
}
