namespace ActorStream.Entities;

/// <summary>
/// Sent by the entity host to the user's entity actor: handle this record. Reply to the sender with
/// <see cref="RecordProcessed"/> once the record's effects are done (state persisted, outputs
/// acknowledged). Throwing fails the actor and hands the decision to the host's supervision
/// (retry with backoff, dead-letter, or stop). <see cref="RecordEntity{TValue}"/> implements this
/// protocol; implement it directly only for actors that need full control.
/// </summary>
/// <param name="EntityId">The entity id (the record key, or the null-key entity of the partition).</param>
/// <param name="Record">The record.</param>
/// <param name="Value">The decoded value (of the entity's registered value type).</param>
/// <param name="Attempt">1 for the first delivery, higher on retries of the same record.</param>
public sealed record ProcessRecord(string EntityId, KafkaRecord Record, object? Value, int Attempt)
{
    /// <summary>The pipeline's <c>emit-format</c>: how the outputs of this record are written (set by the entity host).</summary>
    internal Pipelines.Settings.EmitFormat EmitFormat { get; init; }
}

/// <summary>The entity finished the record at <paramref name="Offset"/>; the host acknowledges it.</summary>
/// <param name="Offset">Offset of the processed record.</param>
public sealed record RecordProcessed(long Offset);
