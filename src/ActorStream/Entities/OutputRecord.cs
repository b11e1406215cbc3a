namespace ActorStream.Entities;

/// <summary>A record an entity emits to an output topic.</summary>
/// <param name="Topic">Output topic.</param>
/// <param name="Key">Key (decides the partition with murmur2), or null.</param>
/// <param name="Value">Value bytes.</param>
/// <param name="Headers">Headers, or null for none.</param>
public sealed record OutputRecord(string Topic, string? Key, byte[] Value, IReadOnlyList<KeyValuePair<string, byte[]>>? Headers = null)
{
    /// <summary>
    /// How the emitter writes <see cref="Value"/> (the emitting pipeline's <c>emit-format</c>, stamped by
    /// <see cref="RecordContext.Emit(OutputRecord)"/>): as given, or validated and framed in the schema registry wire format.
    /// </summary>
    internal Pipelines.Settings.EmitFormat Format { get; init; }
}

/// <summary>
/// Sends entity outputs to Kafka through the node's idempotent producer (acks=all). Completes when
/// the broker acknowledged every record; faults otherwise (the entity then fails and is retried, so
/// outputs are at-least-once, never dropped).
/// </summary>
public interface IRecordEmitter
{
    /// <summary>Produces <paramref name="records"/> in order and waits for their acknowledgements.</summary>
    Task EmitAsync(IReadOnlyList<OutputRecord> records, CancellationToken cancellationToken = default);
}
