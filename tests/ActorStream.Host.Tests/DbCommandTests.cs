using Microsoft.Data.Sqlite;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream db init</c> as a process.</summary>
public sealed class DbCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("db-init-").FullName;

    [Fact]
    public async Task Db_init_creates_the_tables_of_the_sqlite_store_in_wal_mode_and_can_run_again()
    {
        var file = Path.Combine(_directory, "nested", "state.db");
        for (var run = 0; run < 2; run++)
        {
            var (exit, stdout, stderr) = await Actorstream.RunAsync("db", "init", "--set", $"actorstream.persistence.sqlite.path={file}");
            Assert.True(exit == 0, stderr);
            Assert.Contains("entity state tables ready: sqlite", stdout);
        }

        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        var names = new List<string>();
        using (var reader = tables.ExecuteReader())
        {
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }

        Assert.Contains("event_journal", names);
        Assert.Contains("snapshot", names);
        Assert.Contains("tags", names);
        using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", mode.ExecuteScalar() as string);
    }

    [Fact]
    public async Task An_invalid_provider_is_refused_with_the_key_and_the_allowed_values()
    {
        var (exit, _, stderr) = await Actorstream.RunAsync("db", "init", "--set", "actorstream.persistence.provider=oracle");
        Assert.Equal(2, exit);
        Assert.Contains("actorstream.persistence.provider: must be one of sqlite, postgresql, got 'oracle'", stderr);
    }

    [Fact]
    public async Task PostgreSQL_without_a_connection_string_names_the_key_and_the_environment_variable()
    {
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["ACTORSTREAM_POSTGRES_CONNECTION"] = null },
            "db", "init", "--set", "actorstream.persistence.provider=postgresql");
        Assert.Equal(2, exit);
        Assert.Contains("actorstream.persistence.postgresql.connection-string", stderr);
        Assert.Contains("ACTORSTREAM_POSTGRES_CONNECTION", stderr);
    }

    [Fact]
    public async Task A_node_whose_sqlite_file_cannot_be_created_refuses_to_start_naming_the_key()
    {
        var config = Path.Combine(Actorstream.RepositoryRoot, "hocon", "dev.conf");
        var (exit, _, stderr) = await Actorstream.RunAsync("run", "--config", config, "--set", "actorstream.persistence.sqlite.path=/proc/actorstream/state.db");
        Assert.Equal(2, exit);
        Assert.Contains("actorstream.persistence.sqlite.path: cannot open the SQLite file '/proc/actorstream/state.db'", stderr);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
