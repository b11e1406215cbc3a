using System.Globalization;
using System.Text.Json;
using ActorStream.SchemaRegistry.Internal.Json;

namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>Types (integer widens to number), enum/const, and the string and number constraints.</summary>
internal sealed partial class JsonSchemaCompatibility
{
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
}
