using ActorStream.SchemaRegistry.Internal.Storage;
using Microsoft.Data.Sqlite;

namespace ActorStream.SchemaRegistry.Tests.Storage;

/// <summary>SQLite specifics: the database directory is created and the file is in WAL mode.</summary>
public sealed class SqliteDialectTests
{
    [Fact]
    public async Task The_store_creates_the_directory_and_puts_the_file_in_wal_mode()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"actorstream-wal-{Guid.NewGuid():N}", "nested");
        var path = Path.Combine(directory, "registry.db");
        try
        {
            await using (var store = new SqlRegistryStore(new SqliteDialect(path)))
            {
                await store.InitializeAsync(CancellationToken.None);
            }

            Assert.True(File.Exists(path));
            await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }
}
