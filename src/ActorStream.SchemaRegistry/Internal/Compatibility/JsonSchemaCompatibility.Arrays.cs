using System.Globalization;
using System.Text.Json;
using ActorStream.SchemaRegistry.Internal.Json;

namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>Array keywords: items (schema and tuple forms, prefixItems), item counts, uniqueness.</summary>
internal sealed partial class JsonSchemaCompatibility
{
    private void CompareArrays(SchemaNode r, SchemaNode w, string path)
    {
        var (readerPrefix, readerRest) = ArrayShape(r);
        var (writerPrefix, writerRest) = ArrayShape(w);
        var positions = Math.Max(readerPrefix.Count, writerPrefix.Count);
        for (var i = 0; i < positions; i++)
        {
            var readerItem = i < readerPrefix.Count ? readerPrefix[i] : readerRest;
            var writerItem = i < writerPrefix.Count ? writerPrefix[i] : writerRest;
            CompareOptional(readerItem, writerItem, $"{path}/items/{i}");
        }

        CompareOptional(readerRest, writerRest, $"{path}/items");
        CompareLowerBound(r, w, "minItems", path);
        CompareUpperBound(r, w, "maxItems", path);
        if (r.TryGet("uniqueItems", out var unique) && unique.ValueKind == JsonValueKind.True
            && !(w.TryGet("uniqueItems", out var writerUnique) && writerUnique.ValueKind == JsonValueKind.True))
        {
            Add("UNIQUE_ITEMS_ADDED", $"{path}/uniqueItems", "the reader requires unique items, the writer does not");
        }
    }

    private void CompareOptional(SchemaNode? reader, SchemaNode? writer, string path)
    {
        if (reader is null)
        {
            return;
        }

        if (writer is null)
        {
            if (!AcceptsAnything(_reader.Deref(reader.Value)))
            {
                Add("ITEMS_NARROWED", path, "the reader constrains these items, the writer allows any value");
            }

            return;
        }

        Compare(reader.Value, writer.Value, path);
    }

    /// <summary>Positional item schemas and the schema of the rest (null = any value).</summary>
    private static (List<SchemaNode> Prefix, SchemaNode? Remaining) ArrayShape(SchemaNode node)
    {
        var prefix = new List<SchemaNode>();
        SchemaNode? rest = null;
        if (node.TryGet("prefixItems", out var prefixItems) && prefixItems.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            prefix.AddRange(prefixItems.EnumerateArray().Select(e => node.Child(e, $"prefixItems/{i++}")));
            rest = node.TryGet("items", out var items) ? node.Child(items, "items") : null;
        }
        else if (node.TryGet("items", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            prefix.AddRange(items.EnumerateArray().Select(e => node.Child(e, $"items/{i++}")));
            rest = node.TryGet("additionalItems", out var additional) ? node.Child(additional, "additionalItems") : null;
        }
        else if (node.TryGet("items", out var schema))
        {
            rest = node.Child(schema, "items");
        }

        return (prefix, rest);
    }
}
