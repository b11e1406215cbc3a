using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorStream.SchemaRegistry.Internal.Json;

/// <summary>
/// Checks that a document is a well-formed JSON Schema (draft-04 to 2020-12): a schema is an object or a boolean,
/// the standard keywords have the right shapes, patterns compile and every <c>$ref</c> resolves. Unknown keywords
/// are allowed (annotations, vendor extensions).
/// </summary>
internal static class SchemaSyntax
{
    /// <summary>Deepest nesting of subschemas accepted (also bounds the compatibility checker's recursion).</summary>
    public const int MaxDepth = 128;

    private static readonly HashSet<string> TypeNames = ["null", "boolean", "object", "array", "number", "string", "integer"];

    private static readonly string[] SchemaKeywords =
        ["additionalProperties", "additionalItems", "contains", "not", "if", "then", "else", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "contentSchema"];

    private static readonly string[] SchemaMapKeywords = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"];

    private static readonly string[] SchemaArrayKeywords = ["allOf", "anyOf", "oneOf", "prefixItems"];

    private static readonly string[] NonNegativeIntegerKeywords = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];

    private static readonly string[] NumberKeywords = ["minimum", "maximum"];

    public static void Validate(SchemaGraph graph)
    {
        var root = graph.Root;
        if (root.Element.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidSchemaException($"a JSON Schema must be an object or a boolean, not {Describe(root.Element.ValueKind)}");
        }

        Walk(graph, root, depth: 0);
    }

    private static void Walk(SchemaGraph graph, SchemaNode node, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidSchemaException($"the schema nests deeper than {MaxDepth} levels at {SchemaGraph.Show(node.Pointer)}");
        }

        var element = node.Element;
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(node, $"a subschema must be an object or a boolean, not {Describe(element.ValueKind)}");
        }

        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            var child = node.Child(value, property.Name);
            switch (property.Name)
            {
                case "type":
                    CheckType(child);
                    break;
                case "$ref":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        throw Invalid(child, "$ref must be a string");
                    }

                    if (!graph.TryResolve(node, value.GetString()!, out _))
                    {
                        throw Invalid(child, $"$ref '{value.GetString()}' cannot be resolved (local pointers such as #/definitions/X, or a name given in the schema's references)");
                    }

                    try
                    {
                        graph.Deref(node); // a chain of references that never reaches a schema (e.g. {"$ref": "#"})
                    }
                    catch (InvalidSchemaException ex)
                    {
                        throw Invalid(child, ex.Message);
                    }

                    break;
                case "required":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                    {
                        throw Invalid(child, "required must be an array of property names (strings)");
                    }

                    break;
                case "enum":
                    if (value.ValueKind != JsonValueKind.Array)
                    {
                        throw Invalid(child, "enum must be an array");
                    }

                    break;
                case "pattern":
                    CheckPattern(child);
                    break;
                case "items":
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        WalkArray(graph, child, depth);
                    }
                    else
                    {
                        WalkSchema(graph, child, depth);
                    }

                    break;
                case "multipleOf":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var factor) || !double.IsFinite(factor) || factor <= 0)
                    {
                        throw Invalid(child, "multipleOf must be a number > 0");
                    }

                    break;
                case "exclusiveMinimum" or "exclusiveMaximum":
                    if (value.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                    {
                        throw Invalid(child, $"{property.Name} must be a number (or a boolean in draft-04)");
                    }

                    break;
                case var k when SchemaKeywords.Contains(k):
                    WalkSchema(graph, child, depth);
                    break;
                case var k when SchemaMapKeywords.Contains(k):
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        throw Invalid(child, $"{k} must be an object of schemas");
                    }

                    foreach (var entry in value.EnumerateObject())
                    {
                        if (k == "patternProperties")
                        {
                            CheckRegex(child, entry.Name);
                        }

                        WalkSchema(graph, child.Child(entry.Value, entry.Name), depth);
                    }

                    break;
                case var k when SchemaArrayKeywords.Contains(k):
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                    {
                        throw Invalid(child, $"{k} must be a non-empty array of schemas");
                    }

                    WalkArray(graph, child, depth);
                    break;
                case var k when NonNegativeIntegerKeywords.Contains(k):
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var n) || n < 0 || n != decimal.Truncate(n))
                    {
                        throw Invalid(child, $"{k} must be a non-negative integer");
                    }

                    break;
                case var k when NumberKeywords.Contains(k):
                    if (value.ValueKind != JsonValueKind.Number)
                    {
                        throw Invalid(child, $"{k} must be a number");
                    }

                    break;
            }
        }
    }

    private static void WalkSchema(SchemaGraph graph, SchemaNode node, int depth) => Walk(graph, node, depth + 1);

    private static void WalkArray(SchemaGraph graph, SchemaNode node, int depth)
    {
        var index = 0;
        foreach (var item in node.Element.EnumerateArray())
        {
            Walk(graph, node.Child(item, index.ToString(System.Globalization.CultureInfo.InvariantCulture)), depth + 1);
            index++;
        }
    }

    private static void CheckType(SchemaNode node)
    {
        var value = node.Element;
        var names = value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array when value.GetArrayLength() > 0 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) =>
                value.EnumerateArray().Select(v => v.GetString()!).ToArray(),
            _ => Array.Empty<string>(),
        };
        if (names.Length == 0)
        {
            throw Invalid(node, "type must be a type name or a non-empty array of type names");
        }

        var unknown = names.FirstOrDefault(n => !TypeNames.Contains(n));
        if (unknown is not null)
        {
            throw Invalid(node, $"'{unknown}' is not a JSON Schema type; allowed: {string.Join(", ", TypeNames)}");
        }

        if (names.Distinct().Count() != names.Length)
        {
            throw Invalid(node, "type lists a type twice");
        }
    }

    private static void CheckPattern(SchemaNode node)
    {
        if (node.Element.ValueKind != JsonValueKind.String)
        {
            throw Invalid(node, "pattern must be a string (a regular expression)");
        }

        CheckRegex(node, node.Element.GetString()!);
    }

    private static void CheckRegex(SchemaNode node, string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw Invalid(node, $"'{pattern}' is not a valid regular expression: {ex.Message}");
        }
    }

    private static InvalidSchemaException Invalid(SchemaNode node, string problem) =>
        new($"invalid JSON Schema at {SchemaGraph.Show(node.Pointer)}: {problem}");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
