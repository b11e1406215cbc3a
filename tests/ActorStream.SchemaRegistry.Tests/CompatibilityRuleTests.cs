using ActorStream.SchemaRegistry.Internal.Compatibility;
using ActorStream.SchemaRegistry.Internal.Json;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>
/// The JSON Schema compatibility rules, each in both directions. BACKWARD: the new schema (reader) reads data written
/// with the old one (writer). FORWARD: the old schema (reader) reads data written with the new one (writer).
/// </summary>
public sealed class CompatibilityRuleTests
{
    private const string Open = "";
    private const string Closed = ""","additionalProperties":false""";

    public static TheoryData<string, string, string, bool, bool> Rules => new()
    {
        // name, old schema, new schema, backward compatible, forward compatible
        { "identical object", Obj("""{"a":{"type":"string"}}""", Open), Obj("""{"a":{"type":"string"}}""", Open), true, true },
        { "member order and whitespace do not matter", """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}""", """{ "properties": { "b": {"type":"integer"}, "a": {"type":"string"} }, "type": "object" }""", true, true },
        { "optional property added, open content model", Obj("{}", Open), Obj("""{"p":{"type":"string"}}""", Open), false, true },
        { "optional property added, closed content model", Obj("{}", Closed), Obj("""{"p":{"type":"string"}}""", Closed), true, false },
        { "property with empty schema added, open content model", Obj("{}", Open), Obj("""{"p":{}}""", Open), true, true },
        { "property removed, open content model", Obj("""{"p":{"type":"string"}}""", Open), Obj("{}", Open), true, false },
        { "property removed, closed content model", Obj("""{"p":{"type":"string"}}""", Closed), Obj("{}", Closed), false, true },
        { "required property added", Req("""{"a":{"type":"string"},"b":{"type":"string"}}""", "a"), Req("""{"a":{"type":"string"},"b":{"type":"string"}}""", "a", "b"), false, true },
        { "required property removed", Req("""{"a":{"type":"string"},"b":{"type":"string"}}""", "a", "b"), Req("""{"a":{"type":"string"},"b":{"type":"string"}}""", "a"), true, false },
        { "content model closed", Obj("""{"a":{"type":"string"}}""", Open), Obj("""{"a":{"type":"string"}}""", Closed), false, true },
        { "content model opened", Obj("""{"a":{"type":"string"}}""", Closed), Obj("""{"a":{"type":"string"}}""", Open), true, false },
        { "additionalProperties schema changed", """{"type":"object","additionalProperties":{"type":"string"}}""", """{"type":"object","additionalProperties":{"type":"number"}}""", false, false },
        { "property added that matches the additionalProperties schema", """{"type":"object","additionalProperties":{"type":"string"}}""", """{"type":"object","properties":{"p":{"type":"string"}},"additionalProperties":{"type":"string"}}""", true, true },
        { "integer widened to number", Prop("""{"type":"integer"}"""), Prop("""{"type":"number"}"""), true, false },
        { "number narrowed to integer", Prop("""{"type":"number"}"""), Prop("""{"type":"integer"}"""), false, true },
        { "string changed to integer", Prop("""{"type":"string"}"""), Prop("""{"type":"integer"}"""), false, false },
        { "null added to the type", Prop("""{"type":"string"}"""), Prop("""{"type":["string","null"]}"""), true, false },
        { "type removed (any value)", Prop("""{"type":"string"}"""), Prop("{}"), true, false },
        { "enum value added", Prop("""{"type":"string","enum":["a","b"]}"""), Prop("""{"type":"string","enum":["a","b","c"]}"""), true, false },
        { "enum value removed", Prop("""{"type":"string","enum":["a","b","c"]}"""), Prop("""{"type":"string","enum":["a","b"]}"""), false, true },
        { "enum introduced", Prop("""{"type":"string"}"""), Prop("""{"type":"string","enum":["a"]}"""), false, true },
        { "const changed", Prop("""{"const":"a"}"""), Prop("""{"const":"b"}"""), false, false },
        { "nested property type changed", Prop(Obj("""{"x":{"type":"string"}}""", Open)), Prop(Obj("""{"x":{"type":"integer"}}""", Open)), false, false },
        { "nested optional property added, closed model", Prop(Obj("""{"x":{"type":"string"}}""", Closed)), Prop(Obj("""{"x":{"type":"string"},"y":{"type":"string"}}""", Closed)), true, false },
        { "nested required property added", Prop(Req("""{"x":{"type":"string"}}""")), Prop(Req("""{"x":{"type":"string"}}""", "x")), false, true },
        { "array items widened", Prop("""{"type":"array","items":{"type":"integer"}}"""), Prop("""{"type":"array","items":{"type":"number"}}"""), true, false },
        { "array items changed", Prop("""{"type":"array","items":{"type":"string"}}"""), Prop("""{"type":"array","items":{"type":"boolean"}}"""), false, false },
        { "array items constrained", Prop("""{"type":"array"}"""), Prop("""{"type":"array","items":{"type":"string"}}"""), false, true },
        { "array of objects gains a required property", Prop("""{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"}}}}"""), Prop("""{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}"""), false, true },
        { "tuple (prefixItems) position widened", Prop("""{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}]}"""), Prop("""{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}]}"""), true, false },
        { "tuple (draft-07 items array) position changed", Prop("""{"type":"array","items":[{"type":"string"}]}"""), Prop("""{"type":"array","items":[{"type":"boolean"}]}"""), false, false },
        { "maxItems lowered", Prop("""{"type":"array","maxItems":10}"""), Prop("""{"type":"array","maxItems":5}"""), false, true },
        { "maxLength lowered", Prop("""{"type":"string","maxLength":10}"""), Prop("""{"type":"string","maxLength":5}"""), false, true },
        { "minLength introduced", Prop("""{"type":"string"}"""), Prop("""{"type":"string","minLength":1}"""), false, true },
        { "pattern introduced", Prop("""{"type":"string"}"""), Prop("""{"type":"string","pattern":"^a"}"""), false, true },
        { "minimum raised", Prop("""{"type":"number","minimum":0}"""), Prop("""{"type":"number","minimum":10}"""), false, true },
        { "exclusiveMaximum relaxed to maximum", Prop("""{"type":"number","exclusiveMaximum":10}"""), Prop("""{"type":"number","maximum":10}"""), true, false },
        { "multipleOf introduced", Prop("""{"type":"integer"}"""), Prop("""{"type":"integer","multipleOf":5}"""), false, true },
        { "writer oneOf narrowed to one branch", Prop("""{"oneOf":[{"type":"string"},{"type":"integer"}]}"""), Prop("""{"type":"string"}"""), false, true },
        { "reader anyOf gains an alternative", Prop("""{"anyOf":[{"type":"string"}]}"""), Prop("""{"anyOf":[{"type":"string"},{"type":"integer"}]}"""), true, false },
        { "allOf parts merged (base + extension)", """{"definitions":{"Base":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}},"allOf":[{"$ref":"#/definitions/Base"},{"properties":{"n":{"type":"integer"}}}]}""", """{"definitions":{"Base":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}},"allOf":[{"$ref":"#/definitions/Base"},{"properties":{"n":{"type":"number"}}}]}""", true, false },
        { "$ref targets compared (definitions and $defs)", """{"type":"object","properties":{"amount":{"$ref":"#/definitions/Amount"}},"definitions":{"Amount":{"type":"integer"}}}""", """{"type":"object","properties":{"amount":{"$ref":"#/$defs/Amount"}},"$defs":{"Amount":{"type":"number"}}}""", true, false },
        { "recursive schema unchanged", """{"type":"object","properties":{"value":{"type":"integer"},"next":{"$ref":"#"}}}""", """{"type":"object","properties":{"value":{"type":"integer"},"next":{"$ref":"#"}}}""", true, true },
        { "recursive schema widened", """{"type":"object","properties":{"value":{"type":"integer"},"next":{"$ref":"#"}}}""", """{"type":"object","properties":{"value":{"type":"number"},"next":{"$ref":"#"}}}""", true, false },
        { "boolean schema true to false", "true", "false", false, true },
        { "draft 2020-12 schema with $schema annotation", """{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"integer"}""", """{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"}""", true, false },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_holds_in_both_directions(string name, string oldSchema, string newSchema, bool backward, bool forward)
    {
        var oldGraph = Parse(oldSchema);
        var newGraph = Parse(newSchema);

        var backwardProblems = JsonSchemaCompatibility.Check(reader: newGraph, writer: oldGraph);
        var forwardProblems = JsonSchemaCompatibility.Check(reader: oldGraph, writer: newGraph);

        Assert.True(backward == (backwardProblems.Count == 0), $"{name}: BACKWARD expected {(backward ? "compatible" : "incompatible")}; problems: [{string.Join("; ", backwardProblems)}]");
        Assert.True(forward == (forwardProblems.Count == 0), $"{name}: FORWARD expected {(forward ? "compatible" : "incompatible")}; problems: [{string.Join("; ", forwardProblems)}]");
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}}}""", """{"type":"object","properties":{"a":{"type":"integer"}}}""", "TYPE_CHANGED", "#/properties/a/type")]
    [InlineData("""{"type":"object","properties":{}}""", """{"type":"object","properties":{"p":{"type":"string"}}}""", "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "#/properties/p")]
    [InlineData("""{"type":"object","properties":{"p":{"type":"string"}},"additionalProperties":false}""", """{"type":"object","additionalProperties":false}""", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/properties/p")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}}}""", """{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}""", "REQUIRED_PROPERTY_ADDED", "#/required")]
    [InlineData("""{"enum":["a","b"]}""", """{"enum":["a"]}""", "ENUM_VALUES_NARROWED", "#/enum")]
    [InlineData("""{"type":"array","items":{"type":"number"}}""", """{"type":"array","items":{"type":"integer"}}""", "TYPE_NARROWED", "#/items/type")]
    public void A_backward_incompatibility_names_its_rule_and_location(string oldSchema, string newSchema, string code, string path)
    {
        var problem = Assert.Single(JsonSchemaCompatibility.Check(reader: Parse(newSchema), writer: Parse(oldSchema)));
        Assert.Equal((code, path), (problem.Code, problem.Path));
        Assert.False(string.IsNullOrWhiteSpace(problem.Description));
    }

    [Fact]
    public void References_to_other_documents_are_resolved_when_comparing()
    {
        var address = new Dictionary<string, string> { ["address.json"] = """{"type":"object","properties":{"zip":{"type":"integer"}}}""" };
        var widerAddress = new Dictionary<string, string> { ["address.json"] = """{"type":"object","properties":{"zip":{"type":"number"}}}""" };
        const string person = """{"type":"object","properties":{"home":{"$ref":"address.json"}}}""";

        var oldGraph = SchemaGraph.Parse(person, address);
        var newGraph = SchemaGraph.Parse(person, widerAddress);

        Assert.Empty(JsonSchemaCompatibility.Check(reader: newGraph, writer: oldGraph));
        var problem = Assert.Single(JsonSchemaCompatibility.Check(reader: oldGraph, writer: newGraph));
        Assert.Equal("#/properties/home/properties/zip/type", problem.Path);
    }

    private static SchemaGraph Parse(string schema)
    {
        var graph = SchemaGraph.Parse(schema, new Dictionary<string, string>());
        SchemaSyntax.Validate(graph);
        return graph;
    }

    private static string Obj(string properties, string model) => "{\"type\":\"object\",\"properties\":" + properties + model + "}";

    private static string Req(string properties, params string[] required) =>
        "{\"type\":\"object\",\"properties\":" + properties + ",\"required\":[" + string.Join(",", required.Select(r => "\"" + r + "\"")) + "]}";

    private static string Prop(string schema) => "{\"type\":\"object\",\"properties\":{\"p\":" + schema + "}}";
}
