using System.Text.Json;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Odd but JSON-valid schemas are registered, compared or refused with a 4xx — never a 500, never a hang.</summary>
public sealed class EdgeCaseSchemaTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    public static TheoryData<string, string, int[]> Schemas => new()
    {
        // name, schema, acceptable statuses (200 registered, 409 incompatible, 422 invalid)
        { "pure self reference", """{"$ref":"#"}""", [422] },
        { "reference cycle through definitions", """{"$ref":"#/definitions/a","definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}}}""", [422] },
        { "property referring to itself", """{"type":"object","properties":{"a":{"$ref":"#/properties/a"}}}""", [422] },
        { "writer anyOf containing itself", """{"anyOf":[{"$ref":"#"},{"type":"string"}]}""", [200, 409] },
        { "recursive tuple", """{"type":"array","prefixItems":[{"$ref":"#"}]}""", [200, 409] },
        { "multipleOf beyond double", """{"type":"number","multipleOf":1e400}""", [422] },
        { "minimum beyond decimal", """{"type":"number","minimum":1e400}""", [200, 409] },
        { "fractional maxLength", """{"type":"string","maxLength":1.5}""", [422] },
        { "empty type list", """{"type":[]}""", [422] },
        { "empty enum", """{"enum":[]}""", [200, 409] },
        { "allOf of booleans", """{"allOf":[true,false]}""", [200, 409] },
        { "empty property name and unicode", """{"type":"object","properties":{"":{},"名前":{"type":"string"},"a\"b":{"const":null}}}""", [200, 409] },
        { "double negation", """{"not":{"not":{}}}""", [200, 409] },
        { "draft-04 boolean exclusiveMinimum alone", """{"type":"number","exclusiveMinimum":true}""", [200, 409] },
        { "deep nesting beyond the limit", Nest(200), [422] },
        { "deep nesting within the limit", Nest(60), [200, 409] },
        { "JSON nested deeper than the parser allows", new string('[', 300) + new string(']', 300), [422] },
        { "anchor fragment reference", """{"$defs":{"a":{"$anchor":"x"}},"$ref":"#x"}""", [422] },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public async Task An_odd_schema_is_handled_with_a_confluent_answer(string name, string schema, int[] acceptable)
    {
        var subject = Rest.Subject("odd");
        await Rest.PutAsync(fixture.Http, $"/config/{subject}", """{"compatibility":"FULL_TRANSITIVE"}""");
        await Rest.RegisterAsync(fixture.Http, subject, """{"type":"object","properties":{"a":{"type":"string"}}}""");

        var compatibility = await Rest.PostAsync(fixture.Http, $"/compatibility/subjects/{subject}/versions?verbose=true", Rest.Body(schema));
        var registration = await Rest.PostAsync(fixture.Http, $"/subjects/{subject}/versions", Rest.Body(schema));

        Assert.True(acceptable.Contains(registration.Status), $"{name}: register answered {registration.Status}: {registration.Body}");
        Assert.True(compatibility.Status is 200 or 422, $"{name}: compatibility answered {compatibility.Status}: {compatibility.Body}");
        if (registration.Status != 200)
        {
            Assert.Equal(JsonValueKind.Number, registration.Body.GetProperty("error_code").ValueKind);
        }

        // Once registered, it is also compared as the old schema (the other direction of FULL) without failing.
        if (registration.Status == 200)
        {
            var next = await Rest.PostAsync(fixture.Http, $"/compatibility/subjects/{subject}/versions/latest", Rest.Body("""{"type":"integer"}"""));
            Assert.Equal(200, next.Status);
        }
    }

    private static string Nest(int depth) =>
        string.Concat(Enumerable.Repeat("""{"type":"object","properties":{"n":""", depth)) + "{}" + new string('}', depth * 2);
}
