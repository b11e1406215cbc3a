namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Read endpoints the Confluent .NET client does not cover, and subject names that need URL encoding.</summary>
public sealed class ReadEndpointTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    // Ids are global: a schema of its own per test class keeps other tests' subjects out of its usages.
    private static readonly string Schema = "{\"title\":\"" + Guid.NewGuid().ToString("N") + "\",\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}";

    [Fact]
    public async Task Schema_usages_raw_texts_and_referencing_schemas_are_listed()
    {
        var first = Rest.Subject("first");
        var second = Rest.Subject("second");
        var id = await Rest.RegisterAsync(fixture.Http, first, Schema);
        await Rest.RegisterAsync(fixture.Http, second, Schema);
        var referencing = await Rest.PostAsync(fixture.Http, $"/subjects/{Rest.Subject("user")}/versions",
            Rest.Body("""{"type":"object","properties":{"ref":{"$ref":"id.json"}}}""", "JSON", new[] { new { name = "id.json", subject = first, version = 1 } }));
        Assert.Equal(200, referencing.Status);

        var usages = (await Rest.GetAsync(fixture.Http, $"/schemas/ids/{id}/versions")).Body.EnumerateArray()
            .Select(u => (u.GetProperty("subject").GetString()!, u.GetProperty("version").GetInt32())).OrderBy(u => u.Item1).ToList();
        Assert.Equal(new[] { (first, 1), (second, 1) }.OrderBy(u => u.Item1), usages);
        Assert.Equal(2, (await Rest.GetAsync(fixture.Http, $"/schemas/ids/{id}/subjects")).Body.GetArrayLength());

        using var raw = await fixture.Http.GetAsync($"/subjects/{first}/versions/1/schema");
        Assert.Equal(Schema, await raw.Content.ReadAsStringAsync());
        using var rawById = await fixture.Http.GetAsync($"/schemas/ids/{id}/schema");
        Assert.Equal(Schema, await rawById.Content.ReadAsStringAsync());

        var referencedBy = await Rest.GetAsync(fixture.Http, $"/subjects/{first}/versions/1/referencedby");
        Assert.Equal($"[{referencing.Body.GetProperty("id").GetInt32()}]", referencedBy.Body.GetRawText());
        Assert.Equal("[]", (await Rest.GetAsync(fixture.Http, $"/subjects/{second}/versions/1/referencedby")).Body.GetRawText());
    }

    [Theory]
    [InlineData("with/slash")]
    [InlineData("with space and ünïcödé")]
    [InlineData("percent%20literal")]
    public async Task Subject_names_that_need_encoding_round_trip_through_the_confluent_client(string name)
    {
        using var client = fixture.Client();
        var subject = $"{name}-{Guid.NewGuid():N}";

        var id = await client.RegisterSchemaAsync(subject, Rest.Json("""{"type":"string","title":"encoded"}"""));

        Assert.Contains(subject, await client.GetAllSubjectsAsync());
        var latest = await client.GetLatestSchemaAsync(subject);
        Assert.Equal((subject, id), (latest.Subject, latest.Id));
    }
}
