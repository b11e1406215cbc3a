using ActorStream.SchemaRegistry.Internal.Compatibility;
using ActorStream.SchemaRegistry.Internal.Json;
using ActorStream.SchemaRegistry.Internal.Storage;

namespace ActorStream.SchemaRegistry.Internal;

/// <summary>
/// The registry's rules on top of the store, with Confluent's semantics: subjects, versions, soft and permanent
/// deletes, global schema ids, lookups, compatibility levels and checks.
/// </summary>
internal sealed class RegistryService(IRegistryStore store, CompatibilityLevel defaultLevel)
{
    private const int MaxRegisterAttempts = 100;
    private readonly SchemaPreparer _preparer = new(store);
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public Task<IReadOnlyList<string>> ListSubjectsAsync(bool deleted, CancellationToken ct) => store.ListSubjectsAsync(deleted, ct);

    public async Task<IReadOnlyList<int>> ListVersionsAsync(string subject, bool deleted, CancellationToken ct)
    {
        var versions = await VisibleVersionsAsync(subject, deleted, ct);
        return versions.Select(v => v.Version).ToList();
    }

    public async Task<VersionedSchema> GetVersionAsync(string subject, string versionText, bool deleted, CancellationToken ct)
    {
        var spec = VersionSpec.Parse(versionText);
        var versions = await VisibleVersionsAsync(subject, deleted, ct);
        var version = Pick(versions, spec) ?? throw RegistryErrors.VersionNotFound(subject, spec.ToString());
        return new VersionedSchema(version, await SchemaAsync(version.SchemaId, ct));
    }

    public async Task<IReadOnlyList<int>> ReferencedByAsync(string subject, string versionText, CancellationToken ct)
    {
        var version = await GetVersionAsync(subject, versionText, deleted: false, ct);
        return await store.GetReferencingSchemaIdsAsync(subject, version.Version.Version, ct);
    }

    public async Task<StoredSchema> GetSchemaByIdAsync(string idText, CancellationToken ct)
    {
        if (!int.TryParse(idText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id < 1)
        {
            throw RegistryErrors.SchemaNotFound($"'{idText}'");
        }

        var schema = await store.GetSchemaAsync(id, ct);
        // A schema whose every subject version was permanently deleted is gone for readers (its id stays reserved).
        if (schema is null || (await store.GetUsagesAsync(id, ct)).Count == 0)
        {
            throw RegistryErrors.SchemaNotFound(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return schema;
    }

    public async Task<IReadOnlyList<SubjectVersion>> GetSchemaUsagesAsync(string idText, bool deleted, CancellationToken ct)
    {
        var schema = await GetSchemaByIdAsync(idText, ct);
        return (await store.GetUsagesAsync(schema.Id, ct)).Where(v => deleted || !v.Deleted).ToList();
    }

    public async Task<RegisterResult> RegisterAsync(string subject, SchemaRequest request, CancellationToken ct)
    {
        ValidateSubject(subject);
        var prepared = await _preparer.PrepareAsync(request, ct);
        await _writeLock.WaitAsync(ct);
        try
        {
            for (var attempt = 0; attempt < MaxRegisterAttempts; attempt++)
            {
                var versions = await store.GetVersionsAsync(subject, ct);
                var existingId = await store.FindSchemaIdAsync(prepared.Schema.Fingerprint, ct);
                var existing = existingId is { } id ? versions.FirstOrDefault(v => v.SchemaId == id && !v.Deleted) : null;
                if (existing is not null)
                {
                    return new RegisterResult(RegisterStatus.Existing, existing.SchemaId, existing.Version);
                }

                var level = await EffectiveLevelAsync(subject, ct);
                var live = versions.Where(v => !v.Deleted).ToList();
                var targets = CompatibilityLevels.IsTransitive(level) ? live : live.TakeLast(1).ToList();
                var result = await CheckAsync(prepared, targets, level, ct);
                if (!result.IsCompatible)
                {
                    throw RegistryErrors.Incompatible(string.Join("; ", result.Messages));
                }

                var registered = await store.RegisterAsync(subject, prepared.Schema, versions.Count == 0 ? 0 : versions.Max(v => v.Version), ct);
                if (registered.Status != RegisterStatus.Conflict)
                {
                    return registered;
                }
            }

            throw RegistryErrors.StoreError($"subject '{subject}' kept changing during registration ({MaxRegisterAttempts} attempts); retry");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<VersionedSchema> LookupAsync(string subject, SchemaRequest request, bool deleted, CancellationToken ct)
    {
        var versions = await VisibleVersionsAsync(subject, deleted, ct);
        var prepared = await _preparer.PrepareAsync(request, ct);
        var id = await store.FindSchemaIdAsync(prepared.Schema.Fingerprint, ct);
        var match = id is null ? null : versions.LastOrDefault(v => v.SchemaId == id);
        return match is null
            ? throw RegistryErrors.SchemaNotFound($"(of subject '{subject}')")
            : new VersionedSchema(match, await SchemaAsync(match.SchemaId, ct));
    }

    public async Task<CompatibilityResult> CheckCompatibilityAsync(string subject, string? versionText, SchemaRequest request, CancellationToken ct)
    {
        var spec = versionText is null ? (VersionSpec?)null : VersionSpec.Parse(versionText);
        var prepared = await _preparer.PrepareAsync(request, ct);
        var live = (await store.GetVersionsAsync(subject, ct)).Where(v => !v.Deleted).ToList();
        var level = await EffectiveLevelAsync(subject, ct);
        List<SubjectVersion> targets;
        if (spec is { IsLatest: false } specific)
        {
            if (live.Count == 0)
            {
                throw RegistryErrors.SubjectNotFound(subject);
            }

            targets = [live.FirstOrDefault(v => v.Version == specific.Number) ?? throw RegistryErrors.VersionNotFound(subject, specific.ToString())];
        }
        else
        {
            // Like Confluent: a subject without versions accepts any first schema.
            targets = spec is null && CompatibilityLevels.IsTransitive(level) ? live : live.TakeLast(1).ToList();
        }

        return await CheckAsync(prepared, targets, level, ct);
    }

    public async Task<IReadOnlyList<int>> DeleteSubjectAsync(string subject, bool permanent, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            var versions = await store.GetVersionsAsync(subject, ct);
            if (versions.Count == 0)
            {
                throw RegistryErrors.SubjectNotFound(subject);
            }

            var live = versions.Where(v => !v.Deleted).ToList();
            if (permanent)
            {
                if (live.Count > 0)
                {
                    throw RegistryErrors.SubjectNotSoftDeleted(subject);
                }

                await store.RemoveAsync(subject, versions.Select(v => v.Version).ToList(), ct);
                await store.DeleteCompatibilityAsync(subject, ct);
                return versions.Select(v => v.Version).ToList();
            }

            if (live.Count == 0)
            {
                throw RegistryErrors.SubjectSoftDeleted(subject);
            }

            foreach (var version in live)
            {
                await EnsureNotReferencedAsync(subject, version.Version, ct);
            }

            await store.MarkDeletedAsync(subject, live.Select(v => v.Version).ToList(), ct);
            return live.Select(v => v.Version).ToList();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<int> DeleteVersionAsync(string subject, string versionText, bool permanent, CancellationToken ct)
    {
        var spec = VersionSpec.Parse(versionText);
        await _writeLock.WaitAsync(ct);
        try
        {
            var versions = await store.GetVersionsAsync(subject, ct);
            if (versions.Count == 0 || (!permanent && versions.All(v => v.Deleted)))
            {
                throw RegistryErrors.SubjectNotFound(subject);
            }

            var candidates = spec.IsLatest && !permanent ? versions.Where(v => !v.Deleted).ToList() : versions;
            var version = Pick(candidates, spec) ?? throw RegistryErrors.VersionNotFound(subject, spec.ToString());
            if (permanent)
            {
                if (!version.Deleted)
                {
                    throw RegistryErrors.VersionNotSoftDeleted(subject, version.Version);
                }

                await store.RemoveAsync(subject, [version.Version], ct);
            }
            else
            {
                if (version.Deleted)
                {
                    throw RegistryErrors.VersionSoftDeleted(subject, version.Version);
                }

                await EnsureNotReferencedAsync(subject, version.Version, ct);
                await store.MarkDeletedAsync(subject, [version.Version], ct);
            }

            return version.Version;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<CompatibilityLevel> GetGlobalLevelAsync(CancellationToken ct) =>
        Parse(await store.GetCompatibilityAsync(IRegistryStore.GlobalConfigKey, ct)) ?? defaultLevel;

    public async Task<CompatibilityLevel> GetSubjectLevelAsync(string subject, bool defaultToGlobal, CancellationToken ct)
    {
        var level = Parse(await store.GetCompatibilityAsync(subject, ct));
        return level ?? (defaultToGlobal ? await GetGlobalLevelAsync(ct) : throw RegistryErrors.SubjectConfigNotFound(subject));
    }

    public async Task<CompatibilityLevel> SetLevelAsync(string? subject, string levelText, CancellationToken ct)
    {
        if (subject is not null)
        {
            ValidateSubject(subject);
        }

        if (!CompatibilityLevels.TryParse(levelText, out var level))
        {
            throw RegistryErrors.InvalidCompatibilityLevel(levelText);
        }

        await store.SetCompatibilityAsync(subject ?? IRegistryStore.GlobalConfigKey, CompatibilityLevels.Name(level), ct);
        return level;
    }

    public async Task<CompatibilityLevel> DeleteSubjectLevelAsync(string subject, CancellationToken ct)
    {
        var previous = Parse(await store.GetCompatibilityAsync(subject, ct));
        if (previous is null)
        {
            if ((await store.GetVersionsAsync(subject, ct)).Count == 0)
            {
                throw RegistryErrors.SubjectNotFound(subject);
            }

            throw RegistryErrors.SubjectConfigNotFound(subject);
        }

        await store.DeleteCompatibilityAsync(subject, ct);
        return previous.Value;
    }

    private async Task<CompatibilityLevel> EffectiveLevelAsync(string subject, CancellationToken ct) =>
        Parse(await store.GetCompatibilityAsync(subject, ct)) ?? await GetGlobalLevelAsync(ct);

    private async Task<CompatibilityResult> CheckAsync(PreparedSchema candidate, IReadOnlyList<SubjectVersion> targets, CompatibilityLevel level, CancellationToken ct)
    {
        var messages = new List<string>();
        if (level == CompatibilityLevel.None)
        {
            return new CompatibilityResult(true, messages);
        }

        foreach (var target in targets.Reverse())
        {
            var previous = await _preparer.GraphAsync(await SchemaAsync(target.SchemaId, ct), ct);
            try
            {
                if (CompatibilityLevels.ChecksBackward(level))
                {
                    messages.AddRange(JsonSchemaCompatibility.Check(reader: candidate.Graph, writer: previous)
                        .Select(p => $"BACKWARD (new schema reading data of version {target.Version}): {p}"));
                }

                if (CompatibilityLevels.ChecksForward(level))
                {
                    messages.AddRange(JsonSchemaCompatibility.Check(reader: previous, writer: candidate.Graph)
                        .Select(p => $"FORWARD (version {target.Version} reading data of the new schema): {p}"));
                }
            }
            catch (InvalidSchemaException ex)
            {
                throw RegistryErrors.InvalidSchema($"comparing with version {target.Version}: {ex.Message}");
            }
        }

        var compatible = messages.Count == 0;
        if (!compatible)
        {
            messages.Add($"compatibility level: {CompatibilityLevels.Name(level)}");
        }

        return new CompatibilityResult(compatible, messages);
    }

    private async Task EnsureNotReferencedAsync(string subject, int version, CancellationToken ct)
    {
        var referencing = await store.GetReferencingSchemaIdsAsync(subject, version, ct);
        if (referencing.Count > 0)
        {
            throw RegistryErrors.ReferenceExists(subject, version, referencing);
        }
    }

    private async Task<List<SubjectVersion>> VisibleVersionsAsync(string subject, bool deleted, CancellationToken ct)
    {
        var versions = (await store.GetVersionsAsync(subject, ct)).Where(v => deleted || !v.Deleted).ToList();
        return versions.Count == 0 ? throw RegistryErrors.SubjectNotFound(subject) : versions;
    }

    private async Task<StoredSchema> SchemaAsync(int id, CancellationToken ct) =>
        await store.GetSchemaAsync(id, ct) ?? throw RegistryErrors.StoreError($"schema {id} of a subject version is missing");

    private static SubjectVersion? Pick(IReadOnlyList<SubjectVersion> versions, VersionSpec spec) =>
        spec.IsLatest ? versions.LastOrDefault() : versions.FirstOrDefault(v => v.Version == spec.Number);

    private static CompatibilityLevel? Parse(string? stored) => CompatibilityLevels.TryParse(stored, out var level) ? level : null;

    private static void ValidateSubject(string subject)
    {
        if (subject.Length is 0 or > 255 || subject.Any(char.IsControl) || string.IsNullOrWhiteSpace(subject))
        {
            throw RegistryErrors.InvalidSubject(subject);
        }
    }
}
