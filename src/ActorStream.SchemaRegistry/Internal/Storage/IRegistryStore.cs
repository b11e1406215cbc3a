namespace ActorStream.SchemaRegistry.Internal.Storage;

/// <summary>
/// Persistence of the registry: schemas (global ids, one per distinct schema), subject versions (soft-deletable),
/// schema references and compatibility configuration. Implementations are safe for concurrent use.
/// </summary>
internal interface IRegistryStore : IAsyncDisposable
{
    /// <summary>Creates missing tables.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Subjects with at least one live version (or any version when <paramref name="includeDeleted"/>), sorted.</summary>
    Task<IReadOnlyList<string>> ListSubjectsAsync(bool includeDeleted, CancellationToken cancellationToken);

    /// <summary>All versions of a subject, soft-deleted ones included, by ascending version.</summary>
    Task<IReadOnlyList<SubjectVersion>> GetVersionsAsync(string subject, CancellationToken cancellationToken);

    /// <summary>The schema with this id, or null.</summary>
    Task<StoredSchema?> GetSchemaAsync(int id, CancellationToken cancellationToken);

    /// <summary>The id of the schema with this fingerprint, or null.</summary>
    Task<int?> FindSchemaIdAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>The subject versions (soft-deleted included) that use a schema id.</summary>
    Task<IReadOnlyList<SubjectVersion>> GetUsagesAsync(int schemaId, CancellationToken cancellationToken);

    /// <summary>Ids of schemas that reference a subject version.</summary>
    Task<IReadOnlyList<int>> GetReferencingSchemaIdsAsync(string subject, int version, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: gets or creates the schema's id (by fingerprint); returns the live version of the subject
    /// that already has it, else appends a version — unless the subject's highest version is no longer
    /// <paramref name="expectedMaxVersion"/> (0 = none), which yields <see cref="RegisterStatus.Conflict"/>.
    /// </summary>
    Task<RegisterResult> RegisterAsync(string subject, NewSchema schema, int expectedMaxVersion, CancellationToken cancellationToken);

    /// <summary>Soft-deletes versions of a subject.</summary>
    Task MarkDeletedAsync(string subject, IReadOnlyCollection<int> versions, CancellationToken cancellationToken);

    /// <summary>Permanently removes versions of a subject (schemas keep their ids).</summary>
    Task RemoveAsync(string subject, IReadOnlyCollection<int> versions, CancellationToken cancellationToken);

    /// <summary>The stored compatibility level of a subject, or the global one for <see cref="GlobalConfigKey"/>; null if none.</summary>
    Task<string?> GetCompatibilityAsync(string subject, CancellationToken cancellationToken);

    /// <summary>Stores a compatibility level.</summary>
    Task SetCompatibilityAsync(string subject, string level, CancellationToken cancellationToken);

    /// <summary>Removes a subject's compatibility level; false if it had none.</summary>
    Task<bool> DeleteCompatibilityAsync(string subject, CancellationToken cancellationToken);

    /// <summary>Config key of the global level (subjects are never empty).</summary>
    public const string GlobalConfigKey = "";
}
