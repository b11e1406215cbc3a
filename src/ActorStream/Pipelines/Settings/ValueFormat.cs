namespace ActorStream.Pipelines.Settings;

/// <summary>
/// How a pipeline reads and checks record values (config key <c>value-format</c>, values
/// <c>json</c>, <c>json-schema</c> and <c>json-validated</c>).
/// </summary>
public enum ValueFormat
{
    /// <summary>Plain JSON decoded into the entity's value type; no schema registry.</summary>
    Json,

    /// <summary>
    /// Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then JSON. The schema is
    /// fetched by id from the schema registry and the JSON validated against it before decoding.
    /// </summary>
    JsonSchema,

    /// <summary>Plain JSON validated against the latest schema of the subject <c>&lt;topic&gt;-value</c> before decoding.</summary>
    JsonValidated,
}
