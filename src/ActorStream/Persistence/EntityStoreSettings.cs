using System.Globalization;
using Akka.Configuration;
using ActorStream.Pipelines.Settings;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ActorStream.Persistence;

/// <summary>Where event-sourced entity state is stored (<c>actorstream.persistence.provider</c>).</summary>
public enum PersistenceProvider
{
    /// <summary>An embedded SQLite file (the default): <c>actorstream.persistence.sqlite.path</c>.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: <c>actorstream.persistence.postgresql.connection-string</c> or <c>ACTORSTREAM_POSTGRES_CONNECTION</c>.</summary>
    PostgreSql,
}

/// <summary>A persistence setting is missing or invalid; <see cref="Key"/> names the full configuration path.</summary>
public sealed class PersistenceConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="key">Full configuration path, e.g. <c>actorstream.persistence.provider</c>.</param>
    /// <param name="problem">What is wrong and what is allowed.</param>
    public PersistenceConfigurationException(string key, string problem)
        : base($"{key}: {problem}")
    {
        Key = key;
    }

    /// <summary>The full configuration path at fault.</summary>
    public string Key { get; }
}

/// <summary>
/// The storage of event-sourced entities (<c>actorstream.persistence</c> in the ActorStream
/// <c>reference.conf</c>): SQLite file (default) or PostgreSQL, through Akka.Persistence.Sql. Immutable
/// and validated; errors name the key and the allowed values.
/// </summary>
public sealed record EntityStoreSettings
{
    /// <summary>Configuration path of the block.</summary>
    public const string Path = "actorstream.persistence";

    /// <summary>Environment variable with the PostgreSQL connection string; wins over the config key.</summary>
    public const string PostgresConnectionEnvironmentVariable = "ACTORSTREAM_POSTGRES_CONNECTION";

    /// <summary>linq2db provider name used for SQLite (Microsoft.Data.Sqlite).</summary>
    public const string SqliteProviderName = "SQLite.MS";

    /// <summary>linq2db provider name used for PostgreSQL (Npgsql); newer servers work with it too.</summary>
    public const string PostgresProviderName = "PostgreSQL.15";

    private static readonly string[] Keys = ["provider", "auto-initialize", "sqlite", "postgresql", "journal", "snapshot-store"];
    private static readonly string[] SqliteKeys = ["path", "busy-timeout"];
    private static readonly string[] PostgresKeys = ["connection-string", "schema", "idle-in-transaction-timeout"];

    /// <summary>The store.</summary>
    public PersistenceProvider Provider { get; init; } = PersistenceProvider.Sqlite;

    /// <summary>Create missing tables on first use (Akka.Persistence.Sql <c>auto-initialize</c>).</summary>
    public bool AutoInitialize { get; init; } = true;

    /// <summary>The SQLite database file (relative paths are relative to the working directory).</summary>
    public string SqlitePath { get; init; } = "data/actorstream.db";

    /// <summary>How long SQLite statements wait for a lock before failing.</summary>
    public TimeSpan SqliteBusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The PostgreSQL connection string (empty unless the provider is PostgreSQL).</summary>
    public string PostgresConnectionString { get; init; } = "";

    /// <summary>The PostgreSQL schema of the tables.</summary>
    public string PostgresSchema { get; init; } = "public";

    /// <summary>
    /// PostgreSQL <c>idle_in_transaction_session_timeout</c> of the store's sessions (null: the server's).
    /// A node frozen in the middle of a journal write (long GC or VM pause, SIGSTOP) keeps its
    /// transaction open and its uniqueness locks held, which would block the new owner of its entities
    /// until it wakes; the server aborts such a transaction after this time.
    /// </summary>
    public TimeSpan? PostgresIdleInTransactionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The linq2db provider name for <see cref="Provider"/>.</summary>
    public string ProviderName => Provider == PersistenceProvider.Sqlite ? SqliteProviderName : PostgresProviderName;

    /// <summary>The ADO.NET connection string the journal and snapshot store use.</summary>
    public string ConnectionString => Provider == PersistenceProvider.Sqlite
        ? new SqliteConnectionStringBuilder
        {
            DataSource = System.IO.Path.GetFullPath(SqlitePath),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(SqliteBusyTimeout.TotalSeconds),
        }.ToString()
        : WithSessionTimeout(PostgresConnectionString, PostgresIdleInTransactionTimeout);

    /// <summary>Reads <c>actorstream.persistence</c> of <paramref name="config"/> (reference defaults as fallback) and the environment.</summary>
    /// <exception cref="PersistenceConfigurationException">A value is missing or invalid; the message names the key.</exception>
    public static EntityStoreSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = config.IsEmpty ? PipelineDefaults.ReferenceConfig : config.WithFallback(PipelineDefaults.ReferenceConfig);
        var section = full.GetConfig(Path);
        CheckKeys(section, Path, Keys);
        CheckKeys(section.GetConfig("sqlite"), $"{Path}.sqlite", SqliteKeys);
        CheckKeys(section.GetConfig("postgresql"), $"{Path}.postgresql", PostgresKeys);

        var providerRaw = section.GetString("provider", "sqlite")?.Trim() ?? "";
        var provider = providerRaw.ToLowerInvariant() switch
        {
            "sqlite" => PersistenceProvider.Sqlite,
            "postgresql" or "postgres" => PersistenceProvider.PostgreSql,
            _ => throw new PersistenceConfigurationException($"{Path}.provider", $"must be one of sqlite, postgresql, got '{providerRaw}'"),
        };

        var autoRaw = section.GetString("auto-initialize", "on")?.Trim().ToLowerInvariant();
        var autoInitialize = autoRaw switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new PersistenceConfigurationException($"{Path}.auto-initialize", $"must be on or off, got '{autoRaw}'"),
        };

        var path = section.GetString("sqlite.path", "data/actorstream.db") ?? "";
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new PersistenceConfigurationException($"{Path}.sqlite.path", "must be a file path, e.g. \"data/actorstream.db\"");
        }

        TimeSpan busy;
        try
        {
            busy = section.GetTimeSpan("sqlite.busy-timeout", TimeSpan.FromSeconds(30), allowInfinite: false);
        }
        catch (Exception)
        {
            throw new PersistenceConfigurationException($"{Path}.sqlite.busy-timeout", $"must be a duration > 0 (e.g. 30s), got '{section.GetString("sqlite.busy-timeout")}'");
        }

        if (busy <= TimeSpan.Zero)
        {
            throw new PersistenceConfigurationException($"{Path}.sqlite.busy-timeout", "must be a duration > 0 (e.g. 30s)");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(PostgresConnectionEnvironmentVariable);
        var connection = !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment.Trim() : section.GetString("postgresql.connection-string", "") ?? "";
        var schema = section.GetString("postgresql.schema", "public") ?? "";
        if (provider == PersistenceProvider.PostgreSql)
        {
            if (string.IsNullOrWhiteSpace(connection))
            {
                throw new PersistenceConfigurationException($"{Path}.postgresql.connection-string",
                    $"is required when {Path}.provider = postgresql: set it, or the {PostgresConnectionEnvironmentVariable} environment variable (which wins when set)");
            }

            try
            {
                _ = new NpgsqlConnectionStringBuilder(connection);
            }
            catch (Exception ex)
            {
                throw new PersistenceConfigurationException(
                    !string.IsNullOrWhiteSpace(fromEnvironment) ? PostgresConnectionEnvironmentVariable : $"{Path}.postgresql.connection-string",
                    $"is not a valid Npgsql connection string: {ex.Message}");
            }

            if (string.IsNullOrWhiteSpace(schema))
            {
                throw new PersistenceConfigurationException($"{Path}.postgresql.schema", "must be a schema name, e.g. \"public\"");
            }
        }

        // The default lives in reference.conf (the section falls back to it).
        var idleRaw = section.GetString("postgresql.idle-in-transaction-timeout")?.Trim() ?? "";
        TimeSpan? idleInTransaction = null;
        if (!idleRaw.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                idleInTransaction = section.GetTimeSpan("postgresql.idle-in-transaction-timeout", null, allowInfinite: false);
            }
            catch (Exception)
            {
                idleInTransaction = TimeSpan.Zero;
            }

            if (idleInTransaction < TimeSpan.FromSeconds(1))
            {
                throw new PersistenceConfigurationException($"{Path}.postgresql.idle-in-transaction-timeout", $"must be a duration >= 1s (e.g. 10s) or off, got '{idleRaw}'");
            }
        }

        return new EntityStoreSettings
        {
            PostgresIdleInTransactionTimeout = idleInTransaction,
            Provider = provider,
            AutoInitialize = autoInitialize,
            SqlitePath = path,
            SqliteBusyTimeout = busy,
            PostgresConnectionString = provider == PersistenceProvider.PostgreSql ? connection : "",
            PostgresSchema = schema,
        };
    }

    /// <summary>A description without secrets (no password), for logs.</summary>
    public string Describe() => Provider == PersistenceProvider.Sqlite
        ? $"sqlite ({System.IO.Path.GetFullPath(SqlitePath)}, WAL)"
        : $"postgresql ({Redacted(PostgresConnectionString)}, schema {PostgresSchema})";

    /// <inheritdoc />
    public override string ToString() => $"EntityStoreSettings({Describe()}, auto-initialize={(AutoInitialize ? "on" : "off")})";

    private static string WithSessionTimeout(string connectionString, TimeSpan? timeout)
    {
        if (timeout is null || string.IsNullOrWhiteSpace(connectionString))
        {
            return connectionString;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Options?.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal) == true)
        {
            return connectionString; // the operator's own setting wins
        }

        var option = $"-c idle_in_transaction_session_timeout={((long)timeout.Value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}";
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? option : $"{builder.Options} {option}";
        return builder.ToString();
    }

    private static string Redacted(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"Host={b.Host};Port={b.Port.ToString(CultureInfo.InvariantCulture)};Database={b.Database};Username={b.Username}";
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }

    private static void CheckKeys(Config section, string path, IReadOnlyList<string> known)
    {
        if (section.IsEmpty || section.Root is null || !section.Root.IsObject())
        {
            return;
        }

        foreach (var key in section.Root.GetObject().Items.Keys)
        {
            if (!known.Contains(key))
            {
                throw new PersistenceConfigurationException($"{path}.{key}", $"unknown key; known keys: {string.Join(", ", known)}");
            }
        }
    }
}
