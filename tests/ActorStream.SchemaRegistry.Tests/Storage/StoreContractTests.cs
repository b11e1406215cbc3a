using ActorStream.SchemaRegistry.Internal.Storage;

namespace ActorStream.SchemaRegistry.Tests.Storage;

/// <summary>The behaviour every registry store must have, run once per database engine.</summary>
public abstract class StoreContractTests<TFixture>(TFixture fixture)
    where TFixture : StoreFixture
{
    private static readonly CancellationToken None = CancellationToken.None;

    [SkippableFact]
    public async Task Ids_are_global_per_fingerprint_and_versions_count_per_subject()
    {
        await using var store = await fixture.OpenAsync(NewDatabase());
        var a = Schema("a");
        var b = Schema("b");

        var first = await store.RegisterAsync("s1", a, 0, None);
        var again = await store.RegisterAsync("s1", a, 1, None);
        var elsewhere = await store.RegisterAsync("s2", a, 0, None);
        var second = await store.RegisterAsync("s1", b, 1, None);

        Assert.Equal(new RegisterResult(RegisterStatus.Created, first.Id, 1), first);
        Assert.Equal(new RegisterResult(RegisterStatus.Existing, first.Id, 1), again);
        Assert.Equal(new RegisterResult(RegisterStatus.Created, first.Id, 1), elsewhere);
        Assert.Equal(RegisterStatus.Created, second.Status);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(2, second.Version);
        Assert.Equal(first.Id, await store.FindSchemaIdAsync(a.Fingerprint, None));
        Assert.Equal(["s1", "s2"], await store.ListSubjectsAsync(false, None));
        var stored = await store.GetSchemaAsync(first.Id, None);
        Assert.Equal((a.Text, a.Canonical, "JSON"), (stored!.Text, stored.Canonical, stored.SchemaType));
        Assert.Null(await store.GetSchemaAsync(9999, None));
    }

    [SkippableFact]
    public async Task A_registration_against_a_stale_latest_version_is_a_conflict_and_writes_nothing()
    {
        await using var store = await fixture.OpenAsync(NewDatabase());
        await store.RegisterAsync("s", Schema("a"), 0, None);

        var stale = await store.RegisterAsync("s", Schema("b"), 0, None);

        Assert.Equal(RegisterStatus.Conflict, stale.Status);
        Assert.Single(await store.GetVersionsAsync("s", None));
        Assert.Null(await store.FindSchemaIdAsync(Schema("b").Fingerprint, None));
    }

    [SkippableFact]
    public async Task Soft_deleted_versions_stay_listed_as_deleted_and_removed_ones_are_gone_but_ids_are_kept()
    {
        await using var store = await fixture.OpenAsync(NewDatabase());
        var a = await store.RegisterAsync("s", Schema("a"), 0, None);
        await store.RegisterAsync("s", Schema("b"), 1, None);

        await store.MarkDeletedAsync("s", [1], None);
        Assert.Equal([(1, true), (2, false)], (await store.GetVersionsAsync("s", None)).Select(v => (v.Version, v.Deleted)));
        await store.MarkDeletedAsync("s", [2], None);
        Assert.Empty(await store.ListSubjectsAsync(false, None));
        Assert.Equal(["s"], await store.ListSubjectsAsync(true, None));
        Assert.Equal(("s", 1, true), Assert.Single(await store.GetUsagesAsync(a.Id, None)) is var u ? (u.Subject, u.Version, u.Deleted) : default);

        await store.RemoveAsync("s", [1, 2], None);
        Assert.Empty(await store.GetVersionsAsync("s", None));
        Assert.Empty(await store.GetUsagesAsync(a.Id, None));
        Assert.NotNull(await store.GetSchemaAsync(a.Id, None));
        Assert.Equal(a.Id, (await store.RegisterAsync("t", Schema("a"), 0, None)).Id);
    }

    [SkippableFact]
    public async Task Compatibility_levels_are_upserted_and_deleted_per_subject_and_globally()
    {
        await using var store = await fixture.OpenAsync(NewDatabase());
        Assert.Null(await store.GetCompatibilityAsync(IRegistryStore.GlobalConfigKey, None));

        await store.SetCompatibilityAsync(IRegistryStore.GlobalConfigKey, "FULL", None);
        await store.SetCompatibilityAsync("s", "NONE", None);
        await store.SetCompatibilityAsync("s", "FORWARD", None);

        Assert.Equal("FULL", await store.GetCompatibilityAsync(IRegistryStore.GlobalConfigKey, None));
        Assert.Equal("FORWARD", await store.GetCompatibilityAsync("s", None));
        Assert.True(await store.DeleteCompatibilityAsync("s", None));
        Assert.False(await store.DeleteCompatibilityAsync("s", None));
        Assert.Null(await store.GetCompatibilityAsync("s", None));
    }

    [SkippableFact]
    public async Task References_keep_their_order_and_are_found_from_the_referenced_version()
    {
        await using var store = await fixture.OpenAsync(NewDatabase());
        await store.RegisterAsync("address", Schema("address"), 0, None);
        await store.RegisterAsync("phone", Schema("phone"), 0, None);
        var references = new[] { new SchemaReference("phone.json", "phone", 1), new SchemaReference("address.json", "address", 1) };
        var person = await store.RegisterAsync("person", Schema("person", references), 0, None);

        Assert.Equal(references, (await store.GetSchemaAsync(person.Id, None))!.References);
        Assert.Equal([person.Id], await store.GetReferencingSchemaIdsAsync("address", 1, None));
        Assert.Empty(await store.GetReferencingSchemaIdsAsync("address", 2, None));
    }

    [SkippableFact]
    public async Task Reopening_the_database_keeps_ids_and_never_reuses_them()
    {
        var database = NewDatabase();
        RegisterResult a, b;
        await using (var store = await fixture.OpenAsync(database))
        {
            a = await store.RegisterAsync("s", Schema("a"), 0, None);
            b = await store.RegisterAsync("s", Schema("b"), 1, None);
            await store.MarkDeletedAsync("s", [2], None);
            await store.RemoveAsync("s", [2], None);
        }

        await using var reopened = await fixture.OpenAsync(database);
        Assert.Equal(a.Id, await reopened.FindSchemaIdAsync(Schema("a").Fingerprint, None));
        Assert.Equal(b.Id, await reopened.FindSchemaIdAsync(Schema("b").Fingerprint, None));
        var c = await reopened.RegisterAsync("s", Schema("c"), 1, None); // version 2 was removed: the highest is 1 again
        Assert.True(c.Id > b.Id, $"new id {c.Id} is not above {b.Id}");
    }

    [SkippableFact]
    public async Task Two_stores_on_one_database_registering_concurrently_agree_on_one_id()
    {
        var database = NewDatabase();
        await using var one = await fixture.OpenAsync(database);
        await using var two = await fixture.OpenAsync(database);
        var schema = Schema("contended");

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? one : two).RegisterAsync($"subject-{i}", schema, 0, None)));

        Assert.All(results, r => Assert.Equal(RegisterStatus.Created, r.Status));
        Assert.Single(results.Select(r => r.Id).Distinct());
    }

    private static string NewDatabase() => "db" + Guid.NewGuid().ToString("N")[..12];

    private static NewSchema Schema(string name, IReadOnlyList<SchemaReference>? references = null)
    {
        var text = $$"""{"title":"{{name}}","type":"object"}""";
        return new NewSchema(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))),
            "JSON", text, text, references ?? []);
    }
}

/// <summary>The store contract on SQLite files.</summary>
public sealed class SqliteStoreTests(SqliteStoreFixture fixture) : StoreContractTests<SqliteStoreFixture>(fixture), IClassFixture<SqliteStoreFixture>;

/// <summary>
/// The store contract on PostgreSQL: a throwaway server (ActorStream.TestKit's <c>PostgresServer</c>, initdb/pg_ctl on
/// a free loopback port). Mandatory in CI; skipped with the reason elsewhere when PostgreSQL is not installed.
/// </summary>
public abstract class PostgresStoreTests<TFixture>(TFixture fixture) : StoreContractTests<TFixture>(fixture)
    where TFixture : PostgresStoreFixture;

/// <summary>The store contract on a real PostgreSQL server.</summary>
public sealed class TestKitPostgresStoreTests(TestKitPostgresStoreFixture fixture)
    : PostgresStoreTests<TestKitPostgresStoreFixture>(fixture), IClassFixture<TestKitPostgresStoreFixture>;
