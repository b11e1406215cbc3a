using ActorStream.TestKit.Postgres;
using Npgsql;
using Xunit;

namespace ActorStream.TestKit.Tests;

/// <summary>The throwaway PostgreSQL server: start, database, stop/start on the same port and data, dispose.</summary>
public sealed class PostgresServerTests
{
    [SkippableFact]
    public async Task A_server_starts_stops_and_starts_again_with_its_data_and_is_removed_on_dispose()
    {
        // Mandatory in CI (.ci/run installs postgresql); skipped elsewhere when the binaries are missing.
        Skip.If(PostgresServer.FindBinaries() is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")),
            "PostgreSQL server binaries not installed (apt-get install postgresql); mandatory in CI");

        var server = await PostgresServer.StartAsync("kit_tests");
        await using (server)
        {
            Assert.Contains($"Port={server.Port}", server.ConnectionString);
            await ExecuteAsync(server.ConnectionString, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)");

            await server.StopAsync();
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExecuteAsync(server.ConnectionString, "SELECT 1"));

            await server.StartAsync();
            Assert.Equal(42, await ScalarAsync(server.ConnectionString, "SELECT v FROM t"));
        }

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExecuteAsync(server.ConnectionString, "SELECT 1"));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
