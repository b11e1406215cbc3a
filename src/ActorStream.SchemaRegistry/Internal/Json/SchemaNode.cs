using System.Text.Json;

namespace ActorStream.SchemaRegistry.Internal.Json;

/// <summary>A (sub)schema with the document it belongs to (for resolving <c>#/...</c> references) and its location.</summary>
internal readonly record struct SchemaNode(SchemaDocument Document, JsonElement Element, string Pointer)
{
    /// <summary>Identity for cycle detection.</summary>
    public string Key => Document.Name + "#" + Pointer;

    public bool IsObject => Element.ValueKind == JsonValueKind.Object;

    public bool TryGet(string keyword, out JsonElement value)
    {
        if (Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(keyword, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    public SchemaNode Child(JsonElement element, string segment) =>
        new(Document, element, Pointer + "/" + segment.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
}
