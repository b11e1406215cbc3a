namespace ActorStream.Entities;

/// <summary>
/// A consumed Kafka record as an entity sees it: where it came from, its key, raw value and headers.
/// Immutable; the same instance is redelivered on retries.
/// </summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition (also the shard id).</param>
/// <param name="Offset">Offset in the partition.</param>
/// <param name="Key">Record key (UTF-8), or null.</param>
/// <param name="Value">Raw value bytes, or null for a tombstone.</param>
/// <param name="Headers">Headers in record order.</param>
/// <param name="Timestamp">The record's timestamp.</param>
public sealed record KafkaRecord(
    string Topic,
    int Partition,
    long Offset,
    string? Key,
    byte[]? Value,
    IReadOnlyList<KeyValuePair<string, byte[]>> Headers,
    DateTimeOffset Timestamp)
{
    /// <summary>
    /// W3C <c>traceparent</c> of ActorStream's processing span for this record (null when tracing is
    /// off). Records emitted while handling it carry it, so traces continue downstream; the
    /// record's own headers stay untouched.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}
