using System.Text.Json.Nodes;
using ActorStream.SchemaRegistry.Internal.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorStream.SchemaRegistry.Internal.Http;

/// <summary>The Confluent Schema Registry REST API (the parts Confluent's clients and serializers use) on minimal APIs.</summary>
internal static class RegistryEndpoints
{
    public static void MapRegistry(this IEndpointRouteBuilder app, RegistryService registry, long maxRequestBytes)
    {
        app.MapGet("/", () => RegistryHttp.Json(new JsonObject()));
        app.MapGet("/mode", () => RegistryHttp.Json(new JsonObject { ["mode"] = "READWRITE" }));
        app.MapGet("/schemas/types", () => RegistryHttp.Json(new JsonArray(SchemaRequest.Json)));

        // Subjects
        app.MapGet("/subjects", async (HttpContext c, CancellationToken ct) =>
            RegistryHttp.Json(Strings(await registry.ListSubjectsAsync(RegistryHttp.Flag(c, "deleted"), c.RequestAborted))));

        app.MapGet("/subjects/{subject}/versions", async (HttpContext c, string subject) =>
            RegistryHttp.Json(Ints(await registry.ListVersionsAsync(RegistryHttp.Subject(subject), RegistryHttp.Flag(c, "deleted"), c.RequestAborted))));

        app.MapGet("/subjects/{subject}/versions/{version}", async (HttpContext c, string subject, string version) =>
            RegistryHttp.Json(VersionBody(await registry.GetVersionAsync(RegistryHttp.Subject(subject), version, RegistryHttp.Flag(c, "deleted"), c.RequestAborted))));

        app.MapGet("/subjects/{subject}/versions/{version}/schema", async (HttpContext c, string subject, string version) =>
            Raw((await registry.GetVersionAsync(RegistryHttp.Subject(subject), version, RegistryHttp.Flag(c, "deleted"), c.RequestAborted)).Schema.Text));

        app.MapGet("/subjects/{subject}/versions/{version}/referencedby", async (HttpContext c, string subject, string version) =>
            RegistryHttp.Json(Ints(await registry.ReferencedByAsync(RegistryHttp.Subject(subject), version, c.RequestAborted))));

        app.MapPost("/subjects/{subject}/versions", async (HttpContext c, string subject) =>
        {
            var request = SchemaRequest.From(await RegistryHttp.ReadJsonAsync(c, maxRequestBytes));
            var result = await registry.RegisterAsync(RegistryHttp.Subject(subject), request, c.RequestAborted);
            return RegistryHttp.Json(new JsonObject { ["id"] = result.Id });
        });

        app.MapPost("/subjects/{subject}", async (HttpContext c, string subject) =>
        {
            var request = SchemaRequest.From(await RegistryHttp.ReadJsonAsync(c, maxRequestBytes));
            return RegistryHttp.Json(VersionBody(await registry.LookupAsync(RegistryHttp.Subject(subject), request, RegistryHttp.Flag(c, "deleted"), c.RequestAborted)));
        });

        app.MapDelete("/subjects/{subject}", async (HttpContext c, string subject) =>
            RegistryHttp.Json(Ints(await registry.DeleteSubjectAsync(RegistryHttp.Subject(subject), RegistryHttp.Flag(c, "permanent"), c.RequestAborted))));

        app.MapDelete("/subjects/{subject}/versions/{version}", async (HttpContext c, string subject, string version) =>
            RegistryHttp.Json(await registry.DeleteVersionAsync(RegistryHttp.Subject(subject), version, RegistryHttp.Flag(c, "permanent"), c.RequestAborted)));

        // Schemas by id
        app.MapGet("/schemas/ids/{id}", async (HttpContext c, string id) =>
            RegistryHttp.Json(SchemaBody(await registry.GetSchemaByIdAsync(id, c.RequestAborted))));

        app.MapGet("/schemas/ids/{id}/schema", async (HttpContext c, string id) =>
            Raw((await registry.GetSchemaByIdAsync(id, c.RequestAborted)).Text));

        app.MapGet("/schemas/ids/{id}/versions", async (HttpContext c, string id) =>
        {
            var usages = await registry.GetSchemaUsagesAsync(id, RegistryHttp.Flag(c, "deleted"), c.RequestAborted);
            return RegistryHttp.Json(new JsonArray(usages.Select(u => (JsonNode)new JsonObject { ["subject"] = u.Subject, ["version"] = u.Version }).ToArray()));
        });

        app.MapGet("/schemas/ids/{id}/subjects", async (HttpContext c, string id) =>
        {
            var usages = await registry.GetSchemaUsagesAsync(id, RegistryHttp.Flag(c, "deleted"), c.RequestAborted);
            return RegistryHttp.Json(Strings(usages.Select(u => u.Subject).Distinct().ToList()));
        });

        // Config
        app.MapGet("/config", async (HttpContext c, CancellationToken ct) => LevelBody("compatibilityLevel", await registry.GetGlobalLevelAsync(c.RequestAborted)));

        app.MapPut("/config", async (HttpContext c, CancellationToken ct) =>
            LevelBody("compatibility", await registry.SetLevelAsync(null, LevelFrom(await RegistryHttp.ReadJsonAsync(c, maxRequestBytes)), c.RequestAborted)));

        app.MapGet("/config/{subject}", async (HttpContext c, string subject) =>
            LevelBody("compatibilityLevel", await registry.GetSubjectLevelAsync(RegistryHttp.Subject(subject), RegistryHttp.Flag(c, "defaultToGlobal"), c.RequestAborted)));

        app.MapPut("/config/{subject}", async (HttpContext c, string subject) =>
            LevelBody("compatibility", await registry.SetLevelAsync(RegistryHttp.Subject(subject), LevelFrom(await RegistryHttp.ReadJsonAsync(c, maxRequestBytes)), c.RequestAborted)));

        app.MapDelete("/config/{subject}", async (HttpContext c, string subject) =>
            LevelBody("compatibilityLevel", await registry.DeleteSubjectLevelAsync(RegistryHttp.Subject(subject), c.RequestAborted)));

        // Compatibility
        app.MapPost("/compatibility/subjects/{subject}/versions/{version}", (HttpContext c, string subject, string version) =>
            CheckAsync(c, RegistryHttp.Subject(subject), version));

        app.MapPost("/compatibility/subjects/{subject}/versions", (HttpContext c, string subject) =>
            CheckAsync(c, RegistryHttp.Subject(subject), null));

        async Task<IResult> CheckAsync(HttpContext c, string subject, string? version)
        {
            var request = SchemaRequest.From(await RegistryHttp.ReadJsonAsync(c, maxRequestBytes));
            var result = await registry.CheckCompatibilityAsync(subject, version, request, c.RequestAborted);
            var body = new JsonObject { ["is_compatible"] = result.IsCompatible };
            if (RegistryHttp.Flag(c, "verbose"))
            {
                body["messages"] = Strings(result.Messages);
            }

            return RegistryHttp.Json(body);
        }
    }

    private static string LevelFrom(System.Text.Json.JsonElement body) =>
        body.ValueKind == System.Text.Json.JsonValueKind.Object && body.TryGetProperty("compatibility", out var level) && level.ValueKind == System.Text.Json.JsonValueKind.String
            ? level.GetString()!
            : throw RegistryErrors.InvalidCompatibilityLevel(body.ValueKind == System.Text.Json.JsonValueKind.Object && body.TryGetProperty("compatibility", out var other) ? other.ToString() : "(missing 'compatibility')");

    private static IResult LevelBody(string member, CompatibilityLevel level) =>
        RegistryHttp.Json(new JsonObject { [member] = CompatibilityLevels.Name(level) });

    private static IResult Raw(string text) => Results.Text(text, RegistryHttp.ContentType);

    private static JsonObject SchemaBody(StoredSchema schema)
    {
        var body = new JsonObject { ["schemaType"] = schema.SchemaType, ["schema"] = schema.Text };
        AddReferences(body, schema);
        return body;
    }

    private static JsonObject VersionBody(VersionedSchema versioned)
    {
        var body = new JsonObject
        {
            ["subject"] = versioned.Version.Subject,
            ["version"] = versioned.Version.Version,
            ["id"] = versioned.Schema.Id,
            ["schemaType"] = versioned.Schema.SchemaType,
            ["schema"] = versioned.Schema.Text,
        };
        AddReferences(body, versioned.Schema);
        return body;
    }

    private static void AddReferences(JsonObject body, StoredSchema schema)
    {
        if (schema.References.Count > 0)
        {
            body["references"] = new JsonArray(schema.References
                .Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["subject"] = r.Subject, ["version"] = r.Version }).ToArray());
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonArray Ints(IEnumerable<int> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
