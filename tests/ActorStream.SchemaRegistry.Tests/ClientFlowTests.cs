using System.Net;
using Confluent.SchemaRegistry;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Register, lookup, read, compatibility and delete flows through Confluent's own client, over HTTP.</summary>
public sealed class ClientFlowTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string AccountV1 = """{"type":"object","properties":{"accountId":{"type":"string"},"amount":{"type":"number"}},"required":["accountId"],"additionalProperties":false}""";
    private const string AccountV2 = """{"type":"object","properties":{"accountId":{"type":"string"},"amount":{"type":"number"},"currency":{"type":"string"}},"required":["accountId"],"additionalProperties":false}""";

    [Fact]
    public async Task Registering_is_idempotent_and_ids_are_global_across_subjects()
    {
        using var client = fixture.Client();
        var a = Rest.Subject("a");
        var b = Rest.Subject("b");

        var first = await client.RegisterSchemaAsync(a, Rest.Json(AccountV1));
        var again = await client.RegisterSchemaAsync(a, Rest.Json(AccountV1));
        var otherSubject = await client.RegisterSchemaAsync(b, Rest.Json(AccountV1));
        // Same schema, other formatting and member order: canonically equal, so the same id.
        var reformatted = await client.RegisterSchemaAsync(b, Rest.Json("""
            { "additionalProperties": false, "required": ["accountId"],
              "properties": { "amount": { "type": "number" }, "accountId": { "type": "string" } }, "type": "object" }
            """));
        var different = await client.RegisterSchemaAsync(a, Rest.Json(AccountV2));

        Assert.Equal(first, again);
        Assert.Equal(first, otherSubject);
        Assert.Equal(first, reformatted);
        Assert.NotEqual(first, different);
        Assert.Equal([1], await client.GetSubjectVersionsAsync(b));
        Assert.Equal([1, 2], await client.GetSubjectVersionsAsync(a));
        var byId = await client.GetSchemaAsync(first);
        Assert.Equal(SchemaType.Json, byId.SchemaType);
        Assert.Equal(AccountV1, byId.SchemaString);
        Assert.Contains(a, await client.GetAllSubjectsAsync());
    }

    [Fact]
    public async Task Lookup_latest_and_versions_return_subject_version_and_id()
    {
        using var client = fixture.Client();
        var subject = Rest.Subject("lookup");
        var id1 = await client.RegisterSchemaAsync(subject, Rest.Json(AccountV1));
        var id2 = await client.RegisterSchemaAsync(subject, Rest.Json(AccountV2));

        var found = await client.LookupSchemaAsync(subject, Rest.Json(AccountV1), ignoreDeletedSchemas: true, normalize: false);
        Assert.Equal((subject, 1, id1), (found.Subject, found.Version, found.Id));

        var latest = await client.GetLatestSchemaAsync(subject);
        Assert.Equal((2, id2, AccountV2), (latest.Version, latest.Id, latest.SchemaString));

        var v1 = await client.GetRegisteredSchemaAsync(subject, 1);
        Assert.Equal(id1, v1.Id);

        var unknownSchema = await Assert.ThrowsAsync<SchemaRegistryException>(() =>
            client.LookupSchemaAsync(subject, Rest.Json("""{"type":"boolean"}"""), ignoreDeletedSchemas: true, normalize: false));
        Assert.Equal((HttpStatusCode.NotFound, 40403), (unknownSchema.Status, unknownSchema.ErrorCode));

        var unknownSubject = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetLatestSchemaAsync(Rest.Subject("missing")));
        Assert.Equal((HttpStatusCode.NotFound, 40401), (unknownSubject.Status, unknownSubject.ErrorCode));
    }

    [Fact]
    public async Task An_incompatible_change_is_refused_with_409_and_named_in_the_message()
    {
        using var client = fixture.Client();
        var subject = Rest.Subject("incompatible");
        await client.RegisterSchemaAsync(subject, Rest.Json(AccountV1));
        const string amountAsString = """{"type":"object","properties":{"accountId":{"type":"string"},"amount":{"type":"string"}},"required":["accountId"],"additionalProperties":false}""";

        Assert.False(await client.IsCompatibleAsync(subject, Rest.Json(amountAsString)));
        Assert.True(await client.IsCompatibleAsync(subject, Rest.Json(AccountV2)));
        var refused = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync(subject, Rest.Json(amountAsString)));

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(409, refused.ErrorCode);
        Assert.Contains("TYPE_CHANGED", refused.Message);
        Assert.Contains("#/properties/amount", refused.Message);
        Assert.Equal([1], await client.GetSubjectVersionsAsync(subject));
    }

    [Fact]
    public async Task Subject_compatibility_level_is_read_and_changed_through_the_client()
    {
        using var client = fixture.Client();
        var subject = Rest.Subject("config");
        await client.RegisterSchemaAsync(subject, Rest.Json("""{"type":"string"}"""));

        Assert.Equal(Compatibility.Backward, await client.GetCompatibilityAsync());
        Assert.Equal(Compatibility.None, await client.UpdateCompatibilityAsync(Compatibility.None, subject));
        Assert.Equal(Compatibility.None, await client.GetCompatibilityAsync(subject));

        // NONE: a type change is accepted.
        var id = await client.RegisterSchemaAsync(subject, Rest.Json("""{"type":"integer"}"""));
        Assert.Equal(2, (await client.GetLatestSchemaAsync(subject)).Version);
        Assert.Equal(id, (await client.GetLatestSchemaAsync(subject)).Id);
        Assert.Equal(Compatibility.Backward, await client.GetCompatibilityAsync());
    }

    [Fact]
    public async Task Deleting_a_subject_soft_then_permanently_hides_it_from_the_client()
    {
        using var client = fixture.Client();
        var subject = Rest.Subject("delete");
        var id = await client.RegisterSchemaAsync(subject, Rest.Json("""{"type":"object","properties":{"x":{"type":"string"}}}"""));

        // Confluent's .NET client has no delete call: raw DELETE requests.
        var (deleted, versions) = await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}");
        Assert.Equal((200, "[1]"), (deleted, versions.GetRawText()));
        Assert.DoesNotContain(subject, await client.GetAllSubjectsAsync());
        var (softStatus, _) = await Rest.GetAsync(fixture.Http, $"/schemas/ids/{id}"); // soft-deleted: still readable by id
        Assert.Equal(200, softStatus);

        var (purged, purgedVersions) = await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}?permanent=true");
        Assert.Equal((200, "[1]"), (purged, purgedVersions.GetRawText()));
        Rest.AssertError(await Rest.GetAsync(fixture.Http, $"/schemas/ids/{id}"), 404, 40403);

        // The schema keeps its id: registering it again (anywhere) returns the same one.
        Assert.Equal(id, await client.RegisterSchemaAsync(subject, Rest.Json("""{"type":"object","properties":{"x":{"type":"string"}}}""")));
    }

    [Fact]
    public async Task References_resolve_across_subjects_and_protect_the_referenced_version()
    {
        using var client = fixture.Client();
        var addressSubject = Rest.Subject("address");
        var personSubject = Rest.Subject("person");
        await client.RegisterSchemaAsync(addressSubject, Rest.Json("""{"$id":"address.json","type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var person = new Schema(
            """{"type":"object","properties":{"name":{"type":"string"},"home":{"$ref":"address.json"}},"required":["name"],"additionalProperties":false}""",
            [new SchemaReference("address.json", addressSubject, 1)],
            SchemaType.Json);

        var id = await client.RegisterSchemaAsync(personSubject, person);
        var stored = await client.GetLatestSchemaAsync(personSubject);
        Assert.Equal(id, stored.Id);
        var reference = Assert.Single(stored.References);
        Assert.Equal(("address.json", addressSubject, 1), (reference.Name, reference.Subject, reference.Version));

        // The referenced type is compared too: making 'home.city' an integer changes the resolved tree.
        var changedAddress = Rest.Subject("address2");
        await client.RegisterSchemaAsync(changedAddress, Rest.Json("""{"type":"object","properties":{"city":{"type":"integer"}},"required":["city"]}"""));
        var incompatible = new Schema(person.SchemaString, [new SchemaReference("address.json", changedAddress, 1)], SchemaType.Json);
        Assert.False(await client.IsCompatibleAsync(personSubject, incompatible));

        var (status, body) = await Rest.DeleteAsync(fixture.Http, $"/subjects/{addressSubject}/versions/1");
        Rest.AssertError((status, body), 422, 42206);

        var unresolved = new Schema("""{"type":"object","properties":{"home":{"$ref":"nowhere.json"}}}""", SchemaType.Json);
        var refused = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync(Rest.Subject("unresolved"), unresolved));
        Assert.Equal(42201, refused.ErrorCode);
        Assert.Contains("nowhere.json", refused.Message);
    }
}
