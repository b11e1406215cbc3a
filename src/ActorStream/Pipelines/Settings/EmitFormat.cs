namespace ActorStream.Pipelines.Settings;

/// <summary>
/// How the values a pipeline's entities emit are written (config key <c>emit-format</c>, values
/// <c>json</c> and <c>json-schema</c>).
/// </summary>
public enum EmitFormat
{
    /// <summary>Plain JSON, as the entity produced it; no schema registry.</summary>
    Json,

    /// <summary>
    /// Confluent wire format (magic byte 0, 4-byte big-endian schema id, JSON) with the latest schema
    /// of the subject <c>&lt;topic&gt;-value</c>; a value that does not validate against it fails the
    /// record (supervision: retry, then dead-letter) instead of being written.
    /// </summary>
    JsonSchema,
}
