using System.Data.Common;

namespace ActorStream.SchemaRegistry.Internal.Storage;

/// <summary>
/// <see cref="IRegistryStore"/> on plain ADO.NET, portable SQL (named <c>@parameters</c>, <c>RETURNING</c>) and an
/// <see cref="ISqlDialect"/> for what differs. Every write runs in one transaction under the dialect's write lock,
/// so concurrent registrations (threads or processes) never create two ids for one schema nor two equal versions.
/// </summary>
internal sealed class SqlRegistryStore(ISqlDialect dialect) : IRegistryStore
{
    public string Description => dialect.Description;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken);
        foreach (var statement in dialect.CreateTables)
        {
            await ExecuteAsync(connection, transaction, statement, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListSubjectsAsync(bool includeDeleted, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var sql = includeDeleted
            ? "SELECT DISTINCT subject FROM schema_registry_subject_versions ORDER BY subject"
            : "SELECT DISTINCT subject FROM schema_registry_subject_versions WHERE deleted = @false ORDER BY subject";
        return await QueryAsync(connection, null, sql, r => r.GetString(0), cancellationToken, ("false", false));
    }

    public async Task<IReadOnlyList<SubjectVersion>> GetVersionsAsync(string subject, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await VersionsAsync(connection, null, subject, cancellationToken);
    }

    public async Task<StoredSchema?> GetSchemaAsync(int id, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null,
            "SELECT id, schema_type, schema_text, canonical_text FROM schema_registry_schemas WHERE id = @id",
            r => (Id: Convert.ToInt32(r.GetValue(0)), Type: r.GetString(1), Text: r.GetString(2), Canonical: r.GetString(3)),
            cancellationToken, ("id", id));
        if (rows.Count == 0)
        {
            return null;
        }

        var references = await QueryAsync(connection, null,
            "SELECT name, subject, version FROM schema_registry_references WHERE schema_id = @id ORDER BY position",
            r => new SchemaReference(r.GetString(0), r.GetString(1), Convert.ToInt32(r.GetValue(2))),
            cancellationToken, ("id", id));
        var row = rows[0];
        return new StoredSchema(row.Id, row.Type, row.Text, row.Canonical, references);
    }

    public async Task<int?> FindSchemaIdAsync(string fingerprint, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await FindIdAsync(connection, null, fingerprint, cancellationToken);
    }

    public async Task<IReadOnlyList<SubjectVersion>> GetUsagesAsync(int schemaId, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await QueryAsync(connection, null,
            "SELECT subject, version, schema_id, deleted FROM schema_registry_subject_versions WHERE schema_id = @id ORDER BY subject, version",
            ReadVersion, cancellationToken, ("id", schemaId));
    }

    public async Task<IReadOnlyList<int>> GetReferencingSchemaIdsAsync(string subject, int version, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await QueryAsync(connection, null,
            """
            SELECT DISTINCT r.schema_id FROM schema_registry_references r
            JOIN schema_registry_subject_versions v ON v.schema_id = r.schema_id AND v.deleted = @false
            WHERE r.subject = @subject AND r.version = @version ORDER BY r.schema_id
            """,
            r => Convert.ToInt32(r.GetValue(0)), cancellationToken, ("subject", subject), ("version", version), ("false", false));
    }

    public async Task<RegisterResult> RegisterAsync(string subject, NewSchema schema, int expectedMaxVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken);
        var id = await FindIdAsync(connection, transaction, schema.Fingerprint, cancellationToken);
        var versions = await VersionsAsync(connection, transaction, subject, cancellationToken);
        if (id is { } existingId && versions.FirstOrDefault(v => v.SchemaId == existingId && !v.Deleted) is { } live)
        {
            return new RegisterResult(RegisterStatus.Existing, existingId, live.Version);
        }

        var maxVersion = versions.Count == 0 ? 0 : versions.Max(v => v.Version);
        if (maxVersion != expectedMaxVersion)
        {
            return new RegisterResult(RegisterStatus.Conflict, 0, 0);
        }

        if (id is null)
        {
            var inserted = await QueryAsync(connection, transaction,
                """
                INSERT INTO schema_registry_schemas (fingerprint, schema_type, schema_text, canonical_text)
                VALUES (@fingerprint, @type, @text, @canonical) RETURNING id
                """,
                r => Convert.ToInt32(r.GetValue(0)), cancellationToken,
                ("fingerprint", schema.Fingerprint), ("type", schema.SchemaType), ("text", schema.Text), ("canonical", schema.Canonical));
            id = inserted[0];
            for (var position = 0; position < schema.References.Count; position++)
            {
                var reference = schema.References[position];
                await ExecuteAsync(connection, transaction,
                    "INSERT INTO schema_registry_references (schema_id, position, name, subject, version) VALUES (@id, @position, @name, @subject, @version)",
                    cancellationToken, ("id", id.Value), ("position", position), ("name", reference.Name), ("subject", reference.Subject), ("version", reference.Version));
            }
        }

        var version = maxVersion + 1;
        await ExecuteAsync(connection, transaction,
            "INSERT INTO schema_registry_subject_versions (subject, version, schema_id, deleted) VALUES (@subject, @version, @id, @false)",
            cancellationToken, ("subject", subject), ("version", version), ("id", id.Value), ("false", false));
        await transaction.CommitAsync(cancellationToken);
        return new RegisterResult(RegisterStatus.Created, id.Value, version);
    }

    public Task MarkDeletedAsync(string subject, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        ForEachVersionAsync(subject, versions,
            "UPDATE schema_registry_subject_versions SET deleted = @true WHERE subject = @subject AND version = @version", cancellationToken);

    public Task RemoveAsync(string subject, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        ForEachVersionAsync(subject, versions,
            "DELETE FROM schema_registry_subject_versions WHERE subject = @subject AND version = @version", cancellationToken);

    public async Task<string?> GetCompatibilityAsync(string subject, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, "SELECT compatibility FROM schema_registry_config WHERE subject = @subject",
            r => r.GetString(0), cancellationToken, ("subject", subject));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task SetCompatibilityAsync(string subject, string level, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken);
        await ExecuteAsync(connection, transaction,
            """
            INSERT INTO schema_registry_config (subject, compatibility) VALUES (@subject, @level)
            ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility
            """,
            cancellationToken, ("subject", subject), ("level", level));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> DeleteCompatibilityAsync(string subject, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken);
        var removed = await ExecuteAsync(connection, transaction, "DELETE FROM schema_registry_config WHERE subject = @subject",
            cancellationToken, ("subject", subject));
        await transaction.CommitAsync(cancellationToken);
        return removed > 0;
    }

    public ValueTask DisposeAsync() => dialect.DisposeAsync();

    private async Task ForEachVersionAsync(string subject, IReadOnlyCollection<int> versions, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken);
        foreach (var version in versions)
        {
            await ExecuteAsync(connection, transaction, sql, cancellationToken, ("subject", subject), ("version", version), ("true", true));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<int?> FindIdAsync(DbConnection connection, DbTransaction? transaction, string fingerprint, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(connection, transaction, "SELECT id FROM schema_registry_schemas WHERE fingerprint = @fingerprint",
            r => Convert.ToInt32(r.GetValue(0)), cancellationToken, ("fingerprint", fingerprint));
        return rows.Count == 0 ? null : rows[0];
    }

    private static Task<List<SubjectVersion>> VersionsAsync(DbConnection connection, DbTransaction? transaction, string subject, CancellationToken cancellationToken) =>
        QueryAsync(connection, transaction,
            "SELECT subject, version, schema_id, deleted FROM schema_registry_subject_versions WHERE subject = @subject ORDER BY version",
            ReadVersion, cancellationToken, ("subject", subject));

    private static SubjectVersion ReadVersion(DbDataReader r) =>
        new(r.GetString(0), Convert.ToInt32(r.GetValue(1)), Convert.ToInt32(r.GetValue(2)), Convert.ToBoolean(r.GetValue(3)));

    private static async Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? transaction, string sql, Func<DbDataReader, T> read,
        CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(read(reader));
        }

        return result;
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            if (!sql.Contains("@" + name, StringComparison.Ordinal))
            {
                continue;
            }

            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
