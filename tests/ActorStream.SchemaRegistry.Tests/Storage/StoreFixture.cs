using ActorStream.SchemaRegistry.Internal.Storage;

namespace ActorStream.SchemaRegistry.Tests.Storage;

/// <summary>
/// What the store contract tests need from a database: open a store on a logical database (the same name reopens
/// the same data, a new name is empty). One fixture per database engine.
/// </summary>
public abstract class StoreFixture : IAsyncLifetime
{
    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Opens (and initialises) a store on the named database.</summary>
    internal abstract Task<IRegistryStore> OpenAsync(string database);
}

/// <summary>SQLite files in a temporary directory.</summary>
public sealed class SqliteStoreFixture : StoreFixture
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"actorstream-store-{Guid.NewGuid():N}");

    public override Task DisposeAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    internal override async Task<IRegistryStore> OpenAsync(string database)
    {
        var store = new SqlRegistryStore(new SqliteDialect(Path.Combine(_directory, database + ".db")));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }
}

/// <summary>
/// PostgreSQL: a subclass supplies connection strings of empty databases, e.g. from the PostgreSQL server fixture of
/// ActorStream.TestKit (initdb/pg_ctl on a free port). See <see cref="PostgresStoreTests{TFixture}"/>.
/// </summary>
public abstract class PostgresStoreFixture : StoreFixture
{
    /// <summary>The connection string of the named database, created empty on first use.</summary>
    protected abstract Task<string> ConnectionStringAsync(string database);

    internal override async Task<IRegistryStore> OpenAsync(string database)
    {
        var store = new SqlRegistryStore(new PostgresDialect(await ConnectionStringAsync(database)));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }
}

/// <summary>
/// One throwaway PostgreSQL server for the store contract; each logical database is a real database on it. In CI
/// (<c>CI</c> set) a server that cannot start fails the tests; elsewhere they are skipped with the reason.
/// </summary>
public sealed class TestKitPostgresStoreFixture : PostgresStoreFixture
{
    private readonly HashSet<string> _created = [];
    private ActorStream.TestKit.Postgres.PostgresServer? _server;
    private string? _problem;

    public override async Task InitializeAsync()
    {
        try
        {
            _server = await ActorStream.TestKit.Postgres.PostgresServer.StartAsync("registry_tests");
        }
        catch (Exception ex) when (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            _problem = ex.Message;
        }
    }

    public override async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    protected override async Task<string> ConnectionStringAsync(string database)
    {
        Skip.If(_server is null, $"PostgreSQL not available ({_problem}); mandatory in CI");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(_server!.ConnectionString);
        if (_created.Add(database))
        {
            await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        builder.Database = database;
        return builder.ConnectionString;
    }
}
