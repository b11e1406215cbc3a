namespace ActorStream.SchemaRegistry.Internal.Storage;

/// <summary>A reference from one schema to a registered subject version, under the name the schema uses for it.</summary>
internal sealed record SchemaReference(string Name, string Subject, int Version);

/// <summary>A schema as stored: the text first registered, its canonical form and its references.</summary>
internal sealed record StoredSchema(int Id, string SchemaType, string Text, string Canonical, IReadOnlyList<SchemaReference> References);

/// <summary>A schema about to be stored; <see cref="Fingerprint"/> identifies it (type + canonical text + references).</summary>
internal sealed record NewSchema(string Fingerprint, string SchemaType, string Text, string Canonical, IReadOnlyList<SchemaReference> References);

/// <summary>One version of a subject.</summary>
internal sealed record SubjectVersion(string Subject, int Version, int SchemaId, bool Deleted);

/// <summary>What a registration did.</summary>
internal enum RegisterStatus
{
    /// <summary>A new version was created.</summary>
    Created,

    /// <summary>The subject already had the schema as a live version.</summary>
    Existing,

    /// <summary>The subject changed since the caller checked compatibility: check again and retry.</summary>
    Conflict,
}

/// <summary>The outcome of <see cref="IRegistryStore.RegisterAsync"/>.</summary>
internal sealed record RegisterResult(RegisterStatus Status, int Id, int Version);
