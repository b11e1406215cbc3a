using System.Collections.Concurrent;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Ids are stable across restarts on the same SQLite file and unique under concurrent registration.</summary>
public sealed class RestartAndConcurrencyTests
{
    [Fact]
    public async Task A_restart_on_the_same_sqlite_file_keeps_ids_versions_and_config()
    {
        var path = RegistryFixture.TempDatabase();
        try
        {
            int idA, idB;
            var subject = Rest.Subject("restart");
            await using (var first = await SchemaRegistryServer.StartAsync(RegistryFixture.Settings(path)))
            {
                using var http = new HttpClient { BaseAddress = first.Url };
                idA = await Rest.RegisterAsync(http, subject, """{"type":"object","properties":{"a":{"type":"string"}}}""");
                idB = await Rest.RegisterAsync(http, subject, """{"type":"object","properties":{"a":{"type":"string"},"b":{}}}""");
                await Rest.PutAsync(http, "/config", """{"compatibility":"FULL"}""");
            }

            await using var second = await SchemaRegistryServer.StartAsync(RegistryFixture.Settings(path));
            using var client = new HttpClient { BaseAddress = second.Url };
            var latest = await Rest.GetAsync(client, $"/subjects/{subject}/versions/latest");
            Assert.Equal((2, idB), (latest.Body.GetProperty("version").GetInt32(), latest.Body.GetProperty("id").GetInt32()));
            Assert.Equal(200, (await Rest.GetAsync(client, $"/schemas/ids/{idA}")).Status);
            Assert.Equal(idA, await Rest.RegisterAsync(client, Rest.Subject("other"), """{"properties":{"a":{"type":"string"}},"type":"object"}"""));
            var fresh = await Rest.RegisterAsync(client, Rest.Subject("new"), """{"type":"boolean"}""");
            Assert.True(fresh > idB, $"a new schema after the restart got id {fresh}, not above {idB}");
            Assert.Equal("FULL", (await Rest.GetAsync(client, "/config")).Body.GetProperty("compatibilityLevel").GetString());
        }
        finally
        {
            RegistryFixture.DeleteDatabase(path);
        }
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_schema_get_one_id_and_distinct_schemas_distinct_ids()
    {
        var path = RegistryFixture.TempDatabase();
        try
        {
            // Two servers on one file: the database, not a process-local lock, must keep ids unique.
            await using var one = await SchemaRegistryServer.StartAsync(RegistryFixture.Settings(path));
            await using var two = await SchemaRegistryServer.StartAsync(RegistryFixture.Settings(path));
            using var httpOne = new HttpClient { BaseAddress = one.Url };
            using var httpTwo = new HttpClient { BaseAddress = two.Url };
            await Rest.PutAsync(httpOne, "/config", """{"compatibility":"NONE"}""");

            const string shared = """{"type":"object","properties":{"shared":{"type":"string"}}}""";
            var sameSchema = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
                Rest.RegisterAsync(i % 2 == 0 ? httpOne : httpTwo, $"same-{i}", shared)));
            Assert.Single(sameSchema.Distinct());

            var subject = Rest.Subject("crowded");
            var ids = new ConcurrentBag<int>();
            await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
                ids.Add(await Rest.RegisterAsync(i % 2 == 0 ? httpOne : httpTwo, subject, "{\"type\":\"object\",\"properties\":{\"f" + i + "\":{\"type\":\"integer\"}}}"))));
            Assert.Equal(24, ids.Distinct().Count());
            var versions = (await Rest.GetAsync(httpTwo, $"/subjects/{subject}/versions")).Body.EnumerateArray().Select(v => v.GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(1, 24), versions);
        }
        finally
        {
            RegistryFixture.DeleteDatabase(path);
        }
    }
}
