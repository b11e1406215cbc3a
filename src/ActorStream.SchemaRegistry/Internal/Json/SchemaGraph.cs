using System.Text.Json;

namespace ActorStream.SchemaRegistry.Internal.Json;

/// <summary>
/// A parsed JSON Schema with its references (Confluent's <c>references</c>: name → referenced schema text), able to
/// resolve <c>$ref</c> within a document (<c>#/definitions/X</c>, <c>#/$defs/X</c>) and across documents
/// (<c>other.json</c>, <c>other.json#/$defs/X</c>, or a referenced document's <c>$id</c>).
/// </summary>
internal sealed class SchemaGraph
{
    private const int MaxRefHops = 64;
    private readonly Dictionary<string, SchemaDocument> _documents;

    private SchemaGraph(SchemaDocument root, Dictionary<string, SchemaDocument> documents)
    {
        Root = new SchemaNode(root, root.Root, "");
        _documents = documents;
    }

    public SchemaNode Root { get; }

    /// <summary>Parses the schema text and its references' texts; throws <see cref="InvalidSchemaException"/> for text that is not JSON.</summary>
    public static SchemaGraph Parse(string schemaText, IReadOnlyDictionary<string, string> references)
    {
        var root = new SchemaDocument("", ParseJson(schemaText, "the schema"));
        var documents = new Dictionary<string, SchemaDocument>(StringComparer.Ordinal);
        foreach (var (name, text) in references)
        {
            documents[name] = new SchemaDocument(name, ParseJson(text, $"reference '{name}'"));
        }

        return new SchemaGraph(root, documents);
    }

    public static JsonElement ParseJson(string text, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 256 });
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidSchemaException($"{what} is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Follows <c>$ref</c> until a node without one (draft-07 semantics: siblings of <c>$ref</c> are ignored).</summary>
    public SchemaNode Deref(SchemaNode node)
    {
        for (var hop = 0; hop < MaxRefHops; hop++)
        {
            if (!node.TryGet("$ref", out var reference) || reference.ValueKind != JsonValueKind.String)
            {
                return node;
            }

            node = TryResolve(node, reference.GetString()!, out var target)
                ? target
                : throw new InvalidSchemaException($"$ref '{reference.GetString()}' at {Show(node.Pointer)} cannot be resolved");
        }

        throw new InvalidSchemaException($"$ref chain at {Show(node.Pointer)} is longer than {MaxRefHops} hops (a reference cycle?)");
    }

    public bool TryResolve(SchemaNode from, string reference, out SchemaNode target)
    {
        target = default;
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var location = hash < 0 ? reference : reference[..hash];
        var fragment = hash < 0 ? "" : reference[(hash + 1)..];
        var document = location.Length == 0 ? from.Document : FindDocument(location, from.Document);
        if (document is null)
        {
            return false;
        }

        var element = document.Root;
        var pointer = "";
        if (fragment.Length > 0)
        {
            if (fragment[0] != '/')
            {
                return false; // anchors ($anchor / plain-name fragments) are not supported
            }

            foreach (var raw in fragment[1..].Split('/'))
            {
                var segment = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(segment, out var child))
                {
                    element = child;
                }
                else if (element.ValueKind == JsonValueKind.Array && int.TryParse(segment, out var index) && index >= 0 && index < element.GetArrayLength())
                {
                    element = element[index];
                }
                else
                {
                    return false;
                }

                pointer += "/" + raw;
            }
        }

        target = new SchemaNode(document, element, pointer);
        return true;
    }

    public static string Show(string pointer) => "#" + pointer;

    private SchemaDocument? FindDocument(string location, SchemaDocument current)
    {
        if (_documents.TryGetValue(location, out var exact))
        {
            return exact;
        }

        if (current.Id == location || Root.Document.Id == location)
        {
            return current.Id == location ? current : Root.Document;
        }

        var byId = _documents.Values.FirstOrDefault(d => d.Id == location);
        if (byId is not null)
        {
            return byId;
        }

        // Relative names: "./other.json" or a path whose last segment is a reference name, and vice versa.
        var last = location.TrimStart('.', '/').Split('/')[^1];
        return _documents.Values.FirstOrDefault(d => d.Name.TrimStart('.', '/').Split('/')[^1] == last);
    }
}
