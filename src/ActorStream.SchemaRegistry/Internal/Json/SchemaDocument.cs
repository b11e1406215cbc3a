using System.Text.Json;

namespace ActorStream.SchemaRegistry.Internal.Json;

/// <summary>One document of a schema graph: the schema itself or one of its references, by reference name.</summary>
internal sealed class SchemaDocument(string name, JsonElement root)
{
    public string Name { get; } = name;

    public JsonElement Root { get; } = root;

    /// <summary>The document's <c>$id</c>, if it declares one.</summary>
    public string? Id { get; } = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("$id", out var id) && id.ValueKind == JsonValueKind.String
        ? id.GetString()
        : null;
}
