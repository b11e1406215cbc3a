using System.Text.Json;

namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>The JSON types a schema's <c>type</c> keyword allows.</summary>
internal static class TypeSet
{
    public static readonly string[] All = ["null", "boolean", "object", "array", "number", "string", "integer"];

    /// <summary>The listed types, or null when the schema has no <c>type</c> (any type).</summary>
    public static HashSet<string>? Of(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var type) ? OfTypeValue(type) : null;

    /// <summary>The names in a <c>type</c> value (string or array).</summary>
    public static HashSet<string> OfTypeValue(JsonElement? typeValue) => typeValue switch
    {
        { ValueKind: JsonValueKind.String } t => [t.GetString()!],
        { ValueKind: JsonValueKind.Array } t => t.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToHashSet(),
        _ => [.. All],
    };

    /// <summary>Whether a reader allowing <paramref name="reader"/> accepts writer values of JSON type <paramref name="writerType"/> (integers are numbers).</summary>
    public static bool Accepts(HashSet<string> reader, string writerType) =>
        reader.Contains(writerType) || (writerType == "integer" && reader.Contains("number"));

    /// <summary>Whether values of these types can be of the given kind (integer counts as number).</summary>
    public static bool MayBe(HashSet<string>? types, string kind) =>
        types is null || types.Contains(kind) || (kind == "number" && types.Contains("integer"));
}
