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
internal sealed partial class JsonSchemaCompatibility
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

    private static bool AcceptsAnything(SchemaNode node) =>
        node.Element.ValueKind == JsonValueKind.True
        || (node.Element.ValueKind == JsonValueKind.Object && node.Element.EnumerateObject().All(p => Annotations.Contains(p.Name)));

    private static string Short(JsonElement value)
    {
        var text = CanonicalJson.Serialize(value);
        return text.Length <= 80 ? text : text[..77] + "...";
    }
}
