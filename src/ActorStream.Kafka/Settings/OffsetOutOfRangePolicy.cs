namespace ActorStream.Kafka.Settings;

/// <summary>
/// What a consumer does when a partition's committed offset (at assignment) or fetch position (while
/// consuming) lies outside the partition's log (retention deleted records before they were
/// processed, or the topic was recreated).
/// </summary>
public enum OffsetOutOfRangePolicy
{
    /// <summary>Leave it to librdkafka's <c>auto.offset.reset</c>, without detection or event (plain Kafka behaviour).</summary>
    Reset,

    /// <summary>Continue at the log start: the deleted records are skipped (counted and announced).</summary>
    Earliest,

    /// <summary>Continue at the log end: everything up to now is skipped (counted and announced).</summary>
    Latest,

    /// <summary>Fail the source, naming the partition and the offsets, so that a person decides.</summary>
    Fail,
}
