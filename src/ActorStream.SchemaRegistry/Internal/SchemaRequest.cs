using System.Text.Json;
using ActorStream.SchemaRegistry.Internal.Storage;

namespace ActorStream.SchemaRegistry.Internal;

/// <summary>The body of register, lookup and compatibility requests: <c>{"schema", "schemaType", "references"}</c>.</summary>
internal sealed record SchemaRequest(string Schema, string SchemaType, IReadOnlyList<SchemaReference> References)
{
    public const string Json = "JSON";

    /// <summary>Reads the request body; unknown members (metadata, ruleSet, ...) are ignored.</summary>
    public static SchemaRequest From(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw RegistryErrors.BadRequest("The request body must be a JSON object such as {\"schema\": \"...\", \"schemaType\": \"JSON\"}");
        }

        if (!body.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(schema.GetString()))
        {
            throw RegistryErrors.InvalidSchema("the request has no schema: 'schema' must be a non-empty string holding the schema text");
        }

        var type = "AVRO"; // Confluent's default when schemaType is absent
        if (body.TryGetProperty("schemaType", out var schemaType) && schemaType.ValueKind != JsonValueKind.Null)
        {
            type = schemaType.ValueKind == JsonValueKind.String
                ? schemaType.GetString()!.Trim().ToUpperInvariant()
                : throw RegistryErrors.InvalidSchema("'schemaType' must be a string");
        }

        if (type != Json)
        {
            throw RegistryErrors.InvalidSchema(
                $"schema type '{type}' is not supported by the ActorStream registry, which stores JSON Schema only; send \"schemaType\": \"JSON\" (a Confluent registry serves AVRO and PROTOBUF)");
        }

        var references = new List<SchemaReference>();
        if (body.TryGetProperty("references", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw RegistryErrors.InvalidSchema("'references' must be an array of {name, subject, version}");
            }

            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0
                    || !item.TryGetProperty("subject", out var subject) || subject.ValueKind != JsonValueKind.String || subject.GetString()!.Length == 0
                    || !item.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || (number < 1 && number != -1))
                {
                    throw RegistryErrors.InvalidSchema("each reference needs a non-empty 'name' and 'subject' and a 'version' (>= 1, or -1 for the latest)");
                }

                references.Add(new SchemaReference(name.GetString()!, subject.GetString()!, number));
            }
        }

        return new SchemaRequest(schema.GetString()!, type, references);
    }
}
