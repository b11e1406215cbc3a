using Confluent.SchemaRegistry;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>A registry server on 127.0.0.1 (free port) over a fresh SQLite file, shared by one test class.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    /// <summary>The request size limit of the fixture's server (small, so the size test stays cheap).</summary>
    public const long MaxRequestBytes = 64 * 1024;

    public string DatabasePath { get; } = TempDatabase();

    public SchemaRegistryServer Server { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public static string TempDatabase() => Path.Combine(Path.GetTempPath(), $"actorstream-registry-{Guid.NewGuid():N}.db");

    public static SchemaRegistrySettings Settings(string databasePath) =>
        SchemaRegistrySettings.Create().WithSqlitePath(databasePath).WithHost("127.0.0.1").WithPort(0).WithMaxRequestBytes(MaxRequestBytes);

    public static void DeleteDatabase(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }

    public CachedSchemaRegistryClient Client() => new(new SchemaRegistryConfig { Url = Server.Url.ToString(), RequestTimeoutMs = 30000 });

    public async Task InitializeAsync()
    {
        Server = await SchemaRegistryServer.StartAsync(Settings(DatabasePath));
        Http = new HttpClient { BaseAddress = Server.Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.StopAsync();
        DeleteDatabase(DatabasePath);
    }
}
