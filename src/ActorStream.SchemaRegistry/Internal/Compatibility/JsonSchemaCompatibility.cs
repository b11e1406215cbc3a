using System.Globalization;
using System.Text.Json;
using ActorStream.SchemaRegistry.Internal.Json;

namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>
/// Whether a reader JSON Schema accepts every value a writer JSON Schema accepts, by comparing the two schema trees
/// (no instance generation). Sound but conservative: a reported problem may be a false alarm for exotic keyword
/// combinations; an accepted pair never lets the writer produce a value the reader rejects for the keywords compared.
/// BACKWARD = reader new / writer old; FORWARD = reader old / writer new.
/// </summary>
internal sealed class JsonSchemaCompatibility
{
    private static readonly HashSet<string> Annotations =
    [
        "$schema", "$id", "id", "$comment", "$defs", "definitions", "$anchor", "$dynamicAnchor", "$vocabulary",
        "title", "description", "default", "examples", "readOnly", "writeOnly", "deprecated", "contentMediaType", "contentEncoding",
    ];

    private readonly SchemaGraph _reader;
    private readonly SchemaGraph _writer;
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private const int MaxDepth = 2 * SchemaSyntax.MaxDepth;

    private List<Incompatibility> _problems = [];
    private int _depth;

    private JsonSchemaCompatibility(SchemaGraph reader, SchemaGraph writer)
    {
        _reader = reader;
        _writer = writer;
    }

    public static IReadOnlyList<Incompatibility> Check(SchemaGraph reader, SchemaGraph writer)
    {
        var checker = new JsonSchemaCompatibility(reader, writer);
        checker.Compare(reader.Root, writer.Root, "#");
        return checker._problems;
    }

    private void Compare(SchemaNode reader, SchemaNode writer, string path)
    {
        var r = _reader.Deref(reader);
        var w = _writer.Deref(writer);
        var key = r.Key + "|" + w.Key;
        if (!_inProgress.Add(key))
        {
            return; // recursive schema: the pair is already being compared further up
        }

        if (_depth >= MaxDepth)
        {
            // Only self-expanding combinations get here (e.g. a writer anyOf that contains itself): undecided, so refused.
            Add("RECURSION_LIMIT", path, $"the schemas nest deeper than {MaxDepth} comparison levels; compatibility cannot be shown");
            _inProgress.Remove(key);
            return;
        }

        _depth++;
        try
        {
            CompareResolved(r, w, path);
        }
        finally
        {
            _depth--;
            _inProgress.Remove(key);
        }
    }

    private List<Incompatibility> Probe(SchemaNode reader, SchemaNode writer, string path)
    {
        var saved = _problems;
        _problems = [];
        try
        {
            Compare(reader, writer, path);
            return _problems;
        }
        finally
        {
            _problems = saved;
        }
    }

    private void Add(string code, string path, string description) => _problems.Add(new Incompatibility(code, path, description));

    private void CompareResolved(SchemaNode r, SchemaNode w, string path)
    {
        if (AcceptsAnything(r) || w.Element.ValueKind == JsonValueKind.False)
        {
            return;
        }

        if (r.Element.ValueKind == JsonValueKind.False)
        {
            Add("SCHEMA_NARROWED", path, "the reader schema is 'false' and accepts nothing");
            return;
        }

        if (AcceptsAnything(w))
        {
            Add("SCHEMA_NARROWED", path, "the writer accepts any value here, the reader constrains it");
            return;
        }

        if (ExpandWriter(r, w, path))
        {
            return;
        }

        CompareReaderCombinators(r, w, path);
        CompareExactKeywords(r, w, path);

        var readerTypes = TypeSet.Of(r.Element);
        var writerTypes = TypeSet.Of(w.Element);
        if (!CompareTypes(readerTypes, writerTypes, path))
        {
            return;
        }

        CompareEnums(r, w, path);
        if (TypeSet.MayBe(writerTypes, "object"))
        {
            CompareObjects(r, w, path);
        }

        if (TypeSet.MayBe(writerTypes, "array"))
        {
            CompareArrays(r, w, path);
        }

        if (TypeSet.MayBe(writerTypes, "string"))
        {
            CompareStrings(r, w, path);
        }

        if (TypeSet.MayBe(writerTypes, "number"))
        {
            CompareNumbers(r, w, path);
        }
    }

    /// <summary>Writer unions and intersections: each writer alternative must be readable; an intersection is merged first.</summary>
    private bool ExpandWriter(SchemaNode r, SchemaNode w, string path)
    {
        foreach (var keyword in new[] { "anyOf", "oneOf" })
        {
            if (w.TryGet(keyword, out var alternatives) && alternatives.ValueKind == JsonValueKind.Array)
            {
                var siblings = SchemaMerge.Without(w, "siblings", keyword);
                var index = 0;
                foreach (var alternative in alternatives.EnumerateArray())
                {
                    var alt = _writer.Deref(w.Child(alternative, $"{keyword}/{index}"));
                    var combined = alt.IsObject && alt.Document == w.Document ? SchemaMerge.Merge(siblings, alt, $"{keyword}/{index}") : alt;
                    Compare(r, combined, $"{path}/{keyword}/{index}");
                    index++;
                }

                return true;
            }
        }

        if (w.TryGet("allOf", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            var merged = SchemaMerge.Without(w, "siblings", "allOf");
            var mergeable = true;
            var index = 0;
            foreach (var part in parts.EnumerateArray())
            {
                var resolved = _writer.Deref(w.Child(part, $"allOf/{index++}"));
                if (resolved.Element.ValueKind == JsonValueKind.True)
                {
                    continue;
                }

                if (!resolved.IsObject || resolved.Document != w.Document)
                {
                    mergeable = false;
                    break;
                }

                merged = SchemaMerge.Merge(merged, resolved, "allOf");
            }

            if (mergeable)
            {
                Compare(r, merged, path);
                return true;
            }

            // Parts from other documents: the intersection is readable if one of its parts is.
            List<Incompatibility>? best = null;
            index = 0;
            foreach (var part in parts.EnumerateArray())
            {
                var problems = Probe(r, w.Child(part, $"allOf/{index}"), $"{path}/allOf/{index}");
                index++;
                if (problems.Count == 0)
                {
                    return true;
                }

                best = best is null || problems.Count < best.Count ? problems : best;
            }

            _problems.AddRange(best ?? []);
            return true;
        }

        return false;
    }

    private void CompareReaderCombinators(SchemaNode r, SchemaNode w, string path)
    {
        if (r.TryGet("allOf", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var part in parts.EnumerateArray())
            {
                Compare(r.Child(part, $"allOf/{index}"), w, $"{path}/allOf/{index}");
                index++;
            }
        }

        foreach (var keyword in new[] { "anyOf", "oneOf" })
        {
            if (!r.TryGet(keyword, out var alternatives) || alternatives.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            List<Incompatibility>? closest = null;
            var index = 0;
            foreach (var alternative in alternatives.EnumerateArray())
            {
                var problems = Probe(r.Child(alternative, $"{keyword}/{index}"), w, $"{path}/{keyword}/{index}");
                index++;
                if (problems.Count == 0)
                {
                    closest = null;
                    break;
                }

                closest = closest is null || problems.Count < closest.Count ? problems : closest;
            }

            if (closest is not null)
            {
                Add("COMBINED_TYPE_NARROWED", path,
                    $"no alternative of the reader's {keyword} accepts the writer's values (closest: {closest[0]})");
            }
        }
    }

    /// <summary>Keywords compared only for equality: a reader that adds or changes them may reject writer values.</summary>
    private void CompareExactKeywords(SchemaNode r, SchemaNode w, string path)
    {
        foreach (var keyword in new[] { "not", "if", "then", "else", "patternProperties", "propertyNames", "dependencies", "dependentRequired", "dependentSchemas", "contains", "unevaluatedProperties", "unevaluatedItems" })
        {
            if (r.TryGet(keyword, out var readerValue)
                && !(w.TryGet(keyword, out var writerValue) && CanonicalJson.Equal(readerValue, writerValue)))
            {
                Add("KEYWORD_CHANGED", $"{path}/{keyword}", $"the reader has '{keyword}' {Short(readerValue)} that the writer does not have unchanged");
            }
        }
    }

    private bool CompareTypes(HashSet<string>? readerTypes, HashSet<string>? writerTypes, string path)
    {
        if (readerTypes is null)
        {
            return true;
        }

        if (writerTypes is null)
        {
            Add("TYPE_NARROWED", $"{path}/type", $"the reader allows only {List(readerTypes)}, the writer any type");
            return false;
        }

        var rejected = writerTypes.Where(t => !TypeSet.Accepts(readerTypes, t)).ToList();
        if (rejected.Count == 0)
        {
            return true;
        }

        var code = readerTypes.Overlaps(writerTypes) || (readerTypes.Contains("integer") && writerTypes.Contains("number")) ? "TYPE_NARROWED" : "TYPE_CHANGED";
        Add(code, $"{path}/type", $"the writer allows {List(rejected)}, the reader only {List(readerTypes)}");
        return false;
    }

    private void CompareEnums(SchemaNode r, SchemaNode w, string path)
    {
        var readerValues = AllowedValues(r);
        if (readerValues is null)
        {
            return;
        }

        var writerValues = AllowedValues(w);
        if (writerValues is null)
        {
            Add("ENUM_ADDED", $"{path}/enum", $"the reader allows only {string.Join(", ", readerValues)}, the writer any value of its type");
            return;
        }

        var missing = writerValues.Where(v => !readerValues.Contains(v)).ToList();
        if (missing.Count > 0)
        {
            Add("ENUM_VALUES_NARROWED", $"{path}/enum", $"the writer allows {string.Join(", ", missing)}, which the reader's enum does not");
        }
    }

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

    private void CompareStrings(SchemaNode r, SchemaNode w, string path)
    {
        CompareLowerBound(r, w, "minLength", path);
        CompareUpperBound(r, w, "maxLength", path);
        foreach (var keyword in new[] { "pattern", "format" })
        {
            if (r.TryGet(keyword, out var readerValue)
                && !(w.TryGet(keyword, out var writerValue) && CanonicalJson.Equal(readerValue, writerValue)))
            {
                Add(keyword == "pattern" ? "PATTERN_CHANGED" : "FORMAT_CHANGED", $"{path}/{keyword}",
                    $"the reader requires {keyword} {Short(readerValue)}, the writer {(w.TryGet(keyword, out var other) ? Short(other) : "has none")}");
            }
        }
    }

    private void CompareNumbers(SchemaNode r, SchemaNode w, string path)
    {
        var readerLow = Bound(r, "minimum", "exclusiveMinimum");
        if (readerLow is { } low)
        {
            var writerLow = Bound(w, "minimum", "exclusiveMinimum");
            if (writerLow is not { } wl || wl.Value < low.Value || (wl.Value == low.Value && low.Exclusive && !wl.Exclusive))
            {
                Add("MINIMUM_INCREASED", $"{path}/minimum", $"the reader's lower bound {Show(low)} excludes values the writer allows ({(writerLow is { } x ? Show(x) : "no lower bound")})");
            }
        }

        var readerHigh = Bound(r, "maximum", "exclusiveMaximum");
        if (readerHigh is { } high)
        {
            var writerHigh = Bound(w, "maximum", "exclusiveMaximum");
            if (writerHigh is not { } wh || wh.Value > high.Value || (wh.Value == high.Value && high.Exclusive && !wh.Exclusive))
            {
                Add("MAXIMUM_DECREASED", $"{path}/maximum", $"the reader's upper bound {Show(high)} excludes values the writer allows ({(writerHigh is { } x ? Show(x) : "no upper bound")})");
            }
        }

        if (r.TryGet("multipleOf", out var readerMultiple) && readerMultiple.TryGetDecimal(out var rm) && rm > 0)
        {
            var ok = w.TryGet("multipleOf", out var writerMultiple) && writerMultiple.TryGetDecimal(out var wm) && wm % rm == 0;
            if (!ok)
            {
                Add("MULTIPLE_OF_CHANGED", $"{path}/multipleOf", $"the reader requires multiples of {rm.ToString(CultureInfo.InvariantCulture)}, which the writer does not guarantee");
            }
        }
    }

    private void CompareLowerBound(SchemaNode r, SchemaNode w, string keyword, string path)
    {
        if (Number(r, keyword) is { } reader && reader > (Number(w, keyword) ?? 0))
        {
            Add($"{ToCode(keyword)}_INCREASED", $"{path}/{keyword}", $"the reader requires {keyword} {reader}, the writer {(Number(w, keyword) is { } x ? x.ToString(CultureInfo.InvariantCulture) : "none")}");
        }
    }

    private void CompareUpperBound(SchemaNode r, SchemaNode w, string keyword, string path)
    {
        if (Number(r, keyword) is { } reader && (Number(w, keyword) is not { } writer || writer > reader))
        {
            Add($"{ToCode(keyword)}_DECREASED", $"{path}/{keyword}", $"the reader allows at most {keyword} {reader}, the writer {(Number(w, keyword) is { } x ? x.ToString(CultureInfo.InvariantCulture) : "no limit")}");
        }
    }

    private static bool AcceptsAnything(SchemaNode node) =>
        node.Element.ValueKind == JsonValueKind.True
        || (node.Element.ValueKind == JsonValueKind.Object && node.Element.EnumerateObject().All(p => Annotations.Contains(p.Name)));

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

    /// <summary>The values an <c>enum</c> or <c>const</c> allows (canonical texts), or null when unrestricted.</summary>
    private static HashSet<string>? AllowedValues(SchemaNode node)
    {
        HashSet<string>? values = null;
        if (node.TryGet("enum", out var enumValues) && enumValues.ValueKind == JsonValueKind.Array)
        {
            values = enumValues.EnumerateArray().Select(CanonicalJson.Serialize).ToHashSet(StringComparer.Ordinal);
        }

        if (node.TryGet("const", out var constant))
        {
            var single = CanonicalJson.Serialize(constant);
            values = values is null ? [single] : values.Contains(single) ? [single] : [];
        }

        return values;
    }

    private static decimal? Number(SchemaNode node, string keyword) =>
        node.TryGet(keyword, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) ? number : null;

    /// <summary>The tighter of an inclusive and an exclusive bound (draft-04 boolean exclusiveX makes the inclusive one exclusive).</summary>
    private static (decimal Value, bool Exclusive)? Bound(SchemaNode node, string inclusive, string exclusive)
    {
        var isMin = inclusive == "minimum";
        (decimal Value, bool Exclusive)? result = null;
        var draft4Exclusive = node.TryGet(exclusive, out var flag) && flag.ValueKind == JsonValueKind.True;
        if (Number(node, inclusive) is { } a)
        {
            result = (a, draft4Exclusive);
        }

        if (Number(node, exclusive) is { } b)
        {
            var tighter = result is not { } current || (isMin ? b >= current.Value : b <= current.Value);
            if (tighter)
            {
                result = (b, true);
            }
        }

        return result;
    }

    private static string Show((decimal Value, bool Exclusive) bound) =>
        bound.Value.ToString(CultureInfo.InvariantCulture) + (bound.Exclusive ? " (exclusive)" : "");

    private static string ToCode(string keyword) => string.Concat(keyword.Select(c => char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));

    private static string List(IEnumerable<string> types) => "[" + string.Join(", ", types.OrderBy(t => t, StringComparer.Ordinal)) + "]";

    private static string Short(JsonElement value)
    {
        var text = CanonicalJson.Serialize(value);
        return text.Length <= 80 ? text : text[..77] + "...";
    }
}
