namespace ActorStream.SchemaRegistry;

/// <summary>
/// Compatibility levels of a subject, with Confluent's semantics. BACKWARD: the new schema can read data written
/// with the previous one; FORWARD: the previous schema can read data written with the new one; FULL: both.
/// The TRANSITIVE variants check against every live version, not only the latest.
/// </summary>
public enum CompatibilityLevel
{
    /// <summary>No check.</summary>
    None,

    /// <summary>New schema reads data of the latest version.</summary>
    Backward,

    /// <summary>New schema reads data of every version.</summary>
    BackwardTransitive,

    /// <summary>Latest version reads data of the new schema.</summary>
    Forward,

    /// <summary>Every version reads data of the new schema.</summary>
    ForwardTransitive,

    /// <summary>Backward and forward against the latest version.</summary>
    Full,

    /// <summary>Backward and forward against every version.</summary>
    FullTransitive,
}
