using ActorStream.TestKit.Postgres;

namespace ActorStream.Tests.Persistence;

/// <summary>
/// One throwaway PostgreSQL server for every test of the "postgres" collection (tests of a collection
/// run one after another, so a test may stop and restart it). In CI (<c>CI</c> set) a server that
/// cannot start fails those tests; elsewhere they are skipped with the reason (install the Debian
/// package <c>postgresql</c>).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer? Server { get; private set; }

    public string? Problem { get; private set; }

    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public string ConnectionString => Server?.ConnectionString ?? "Host=127.0.0.1;Port=1;Database=unavailable;Username=none";

    public async Task InitializeAsync()
    {
        try
        {
            Server = await PostgresServer.StartAsync("actorstream_tests");
        }
        catch (Exception ex) when (!InCi)
        {
            Problem = ex.Message;
        }
    }

    /// <summary>Skips the calling test when no server could be started (never in CI: there the fixture already failed).</summary>
    public void SkipIfUnavailable() => Skip.If(Server is null, $"PostgreSQL not available ({Problem}); mandatory in CI");

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
}
