using System.Globalization;
using System.Text.Json;
using ActorStream.SchemaRegistry.Internal.Json;

namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>Object keywords: properties against open and closed content models, required, additionalProperties, property counts.</summary>
internal sealed partial class JsonSchemaCompatibility
{
    private void CompareObjects(SchemaNode r, SchemaNode w, string path)
    {
        var readerProperties = Properties(r);
        var writerProperties = Properties(w);
        var readerAdditional = r.TryGet("additionalProperties", out var ra) ? r.Child(ra, "additionalProperties") : (SchemaNode?)null;
        var writerAdditional = w.TryGet("additionalProperties", out var wa) ? w.Child(wa, "additionalProperties") : (SchemaNode?)null;
        var writerClosed = writerAdditional is { Element.ValueKind: JsonValueKind.False };
        var readerClosed = readerAdditional is { Element.ValueKind: JsonValueKind.False };

        foreach (var (name, readerProperty) in readerProperties)
        {
            var propertyPath = $"{path}/properties/{name}";
            if (writerProperties.TryGetValue(name, out var writerProperty))
            {
                Compare(readerProperty, writerProperty, propertyPath);
            }
            else if (writerClosed)
            {
                // The writer never writes it (closed content model); only a new requirement could break (checked below).
            }
            else if (writerAdditional is { } additional && additional.Element.ValueKind != JsonValueKind.True)
            {
                Compare(readerProperty, additional, propertyPath);
            }
            else if (!AcceptsAnything(_reader.Deref(readerProperty)))
            {
                Add("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", propertyPath,
                    $"the reader declares '{name}', which the writer's open content model may carry with any value (close the writer with additionalProperties: false, or give the property an unrestricted schema)");
            }
        }

        foreach (var (name, writerProperty) in writerProperties)
        {
            if (readerProperties.ContainsKey(name))
            {
                continue;
            }

            var propertyPath = $"{path}/properties/{name}";
            if (readerClosed)
            {
                Add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", propertyPath,
                    $"the writer writes '{name}', which the reader's closed content model (additionalProperties: false) rejects");
            }
            else if (readerAdditional is { } additional && additional.Element.ValueKind != JsonValueKind.True)
            {
                Compare(additional, writerProperty, propertyPath);
            }
        }

        if (readerAdditional is { } readerExtra && readerExtra.Element.ValueKind != JsonValueKind.True && !writerClosed)
        {
            if (writerAdditional is { } writerExtra && writerExtra.Element.ValueKind != JsonValueKind.True)
            {
                Compare(readerExtra, writerExtra, $"{path}/additionalProperties");
            }
            else
            {
                Add("ADDITIONAL_PROPERTIES_NARROWED", $"{path}/additionalProperties",
                    readerClosed
                        ? "the reader's content model is closed (additionalProperties: false), the writer's is open"
                        : "the reader restricts additional properties, the writer's content model is open");
            }
        }

        var writerRequired = Required(w);
        foreach (var name in Required(r).Where(n => !writerRequired.Contains(n)))
        {
            Add("REQUIRED_PROPERTY_ADDED", $"{path}/required", $"the reader requires '{name}', which the writer does not require");
        }

        CompareLowerBound(r, w, "minProperties", path);
        CompareUpperBound(r, w, "maxProperties", path);
    }

    private static Dictionary<string, SchemaNode> Properties(SchemaNode node)
    {
        var result = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
        if (node.TryGet("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            var holder = node.Child(properties, "properties");
            foreach (var property in properties.EnumerateObject())
            {
                result[property.Name] = holder.Child(property.Value, property.Name);
            }
        }

        return result;
    }

    private static HashSet<string> Required(SchemaNode node) =>
        node.TryGet("required", out var required) && required.ValueKind == JsonValueKind.Array
            ? required.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
}
