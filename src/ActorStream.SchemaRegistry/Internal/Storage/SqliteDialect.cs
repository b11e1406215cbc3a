using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace ActorStream.SchemaRegistry.Internal.Storage;

/// <summary>SQLite: one database file in WAL mode; writers serialise through <c>BEGIN IMMEDIATE</c>.</summary>
internal sealed class SqliteDialect : ISqlDialect
{
    private readonly string _connectionString;
    private int _walSet;

    public SqliteDialect(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Description = $"sqlite:{full}";
    }

    public string Description { get; }

    public IReadOnlyList<string> CreateTables { get; } =
    [
        """
        CREATE TABLE IF NOT EXISTS schema_registry_schemas (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          fingerprint TEXT NOT NULL UNIQUE,
          schema_type TEXT NOT NULL,
          schema_text TEXT NOT NULL,
          canonical_text TEXT NOT NULL,
          created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS schema_registry_references (
          schema_id INTEGER NOT NULL REFERENCES schema_registry_schemas(id),
          position INTEGER NOT NULL,
          name TEXT NOT NULL,
          subject TEXT NOT NULL,
          version INTEGER NOT NULL,
          PRIMARY KEY (schema_id, position)
        )
        """,
        "CREATE INDEX IF NOT EXISTS schema_registry_references_target ON schema_registry_references (subject, version)",
        """
        CREATE TABLE IF NOT EXISTS schema_registry_subject_versions (
          subject TEXT NOT NULL,
          version INTEGER NOT NULL,
          schema_id INTEGER NOT NULL REFERENCES schema_registry_schemas(id),
          deleted BOOLEAN NOT NULL DEFAULT FALSE,
          created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
          PRIMARY KEY (subject, version)
        )
        """,
        "CREATE INDEX IF NOT EXISTS schema_registry_subject_versions_schema ON schema_registry_subject_versions (schema_id)",
        """
        CREATE TABLE IF NOT EXISTS schema_registry_config (
          subject TEXT NOT NULL PRIMARY KEY,
          compatibility TEXT NOT NULL
        )
        """,
    ];

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        if (Interlocked.Exchange(ref _walSet, 1) == 0)
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA journal_mode=WAL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // Microsoft.Data.Sqlite starts a non-deferred transaction with BEGIN IMMEDIATE: the write lock is taken now,
        // and a busy database is retried for DefaultTimeout.
        await ((SqliteConnection)connection).BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);

    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; release them so the file can be reopened, moved or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
