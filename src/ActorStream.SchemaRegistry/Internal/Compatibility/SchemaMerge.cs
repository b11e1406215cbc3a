using System.Text.Json;
using ActorStream.SchemaRegistry.Internal.Json;

namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>
/// Builds the intersection of two object schemas of the same document as one schema (for a writer's <c>allOf</c>,
/// and a writer's <c>anyOf</c>/<c>oneOf</c> alternative together with its siblings): properties and required merged,
/// types intersected, the closed content model wins, enum values intersected; other keywords: the second wins.
/// </summary>
internal static class SchemaMerge
{
    public static SchemaNode Merge(SchemaNode a, SchemaNode b, string label)
    {
        var members = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in a.Element.EnumerateObject())
        {
            members[property.Name] = property.Value.GetRawText();
        }

        foreach (var property in b.Element.EnumerateObject())
        {
            members[property.Name] = a.TryGet(property.Name, out var left)
                ? Combine(property.Name, left, property.Value)
                : property.Value.GetRawText();
        }

        var text = "{" + string.Join(",", members.Select(m => JsonSerializer.Serialize(m.Key) + ":" + m.Value)) + "}";
        using var document = JsonDocument.Parse(text);
        return new SchemaNode(a.Document, document.RootElement.Clone(), a.Pointer + "(" + label + ")");
    }

    /// <summary>A copy of an object schema without some keywords.</summary>
    public static SchemaNode Without(SchemaNode node, string label, params string[] keywords)
    {
        var text = "{" + string.Join(",", node.Element.EnumerateObject()
            .Where(p => !keywords.Contains(p.Name))
            .Select(p => JsonSerializer.Serialize(p.Name) + ":" + p.Value.GetRawText())) + "}";
        using var document = JsonDocument.Parse(text);
        return new SchemaNode(node.Document, document.RootElement.Clone(), node.Pointer + "(" + label + ")");
    }

    private static string Combine(string keyword, JsonElement left, JsonElement right)
    {
        switch (keyword)
        {
            case "properties" when left.ValueKind == JsonValueKind.Object && right.ValueKind == JsonValueKind.Object:
                var names = left.EnumerateObject().Select(p => p.Name).Union(right.EnumerateObject().Select(p => p.Name)).OrderBy(n => n, StringComparer.Ordinal);
                return "{" + string.Join(",", names.Select(n =>
                {
                    var inLeft = left.TryGetProperty(n, out var l);
                    var inRight = right.TryGetProperty(n, out var r);
                    var value = inLeft && inRight ? $"{{\"allOf\":[{l.GetRawText()},{r.GetRawText()}]}}" : (inLeft ? l : r).GetRawText();
                    return JsonSerializer.Serialize(n) + ":" + value;
                })) + "}";
            case "required" when left.ValueKind == JsonValueKind.Array && right.ValueKind == JsonValueKind.Array:
                return JsonSerializer.Serialize(left.EnumerateArray().Concat(right.EnumerateArray()).Select(e => e.GetString()).Distinct().ToArray());
            case "type":
                var l2 = TypeSet.OfTypeValue(left);
                var r2 = TypeSet.OfTypeValue(right);
                return JsonSerializer.Serialize(l2.Intersect(r2).ToArray());
            case "additionalProperties":
                if (left.ValueKind == JsonValueKind.False || right.ValueKind == JsonValueKind.False)
                {
                    return "false";
                }

                return left.ValueKind == JsonValueKind.True ? right.GetRawText()
                    : right.ValueKind == JsonValueKind.True ? left.GetRawText()
                    : $"{{\"allOf\":[{left.GetRawText()},{right.GetRawText()}]}}";
            case "enum" when left.ValueKind == JsonValueKind.Array && right.ValueKind == JsonValueKind.Array:
                var rightValues = right.EnumerateArray().Select(CanonicalJson.Serialize).ToHashSet();
                return "[" + string.Join(",", left.EnumerateArray().Select(CanonicalJson.Serialize).Where(rightValues.Contains)) + "]";
            default:
                return right.GetRawText();
        }
    }
}
