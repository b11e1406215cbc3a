using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Bad requests get a 4xx with a Confluent error body <c>{"error_code", "message"}</c>, never a 500.</summary>
public sealed class BadRequestTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string Known = "known-subject";
    private const string StringSchema = """{"type":"string"}""";

    public static TheoryData<string, string, string, string?, string?, int, int> Cases => new()
    {
        // name, method, path, body, content type, HTTP status, error_code
        { "malformed JSON body", "POST", $"/subjects/{Known}/versions", "{\"schema\": ", Rest.MediaType, 400, 400 },
        { "body is not an object", "POST", $"/subjects/{Known}/versions", "[1,2]", Rest.MediaType, 400, 400 },
        { "empty body", "POST", $"/subjects/{Known}/versions", "", Rest.MediaType, 400, 400 },
        { "schema text is not JSON", "POST", $"/subjects/{Known}/versions", Rest.Body("{not json"), Rest.MediaType, 422, 42201 },
        { "schema is a number", "POST", $"/subjects/{Known}/versions", Rest.Body("42"), Rest.MediaType, 422, 42201 },
        { "unknown type name", "POST", $"/subjects/{Known}/versions", Rest.Body("""{"type":"strng"}"""), Rest.MediaType, 422, 42201 },
        { "required is not an array", "POST", $"/subjects/{Known}/versions", Rest.Body("""{"required":"a"}"""), Rest.MediaType, 422, 42201 },
        { "pattern does not compile", "POST", $"/subjects/{Known}/versions", Rest.Body("""{"type":"string","pattern":"(["}"""), Rest.MediaType, 422, 42201 },
        { "unresolvable $ref", "POST", $"/subjects/{Known}/versions", Rest.Body("""{"$ref":"#/definitions/missing"}"""), Rest.MediaType, 422, 42201 },
        { "missing schema member", "POST", $"/subjects/{Known}/versions", """{"schemaType":"JSON"}""", Rest.MediaType, 422, 42201 },
        { "AVRO is not supported", "POST", $"/subjects/{Known}/versions", Rest.Body("\"string\"", "AVRO"), Rest.MediaType, 422, 42201 },
        { "no schemaType means AVRO", "POST", $"/subjects/{Known}/versions", Rest.Body(StringSchema, null), Rest.MediaType, 422, 42201 },
        { "reference to an unknown subject", "POST", $"/subjects/{Known}/versions", Rest.Body(StringSchema, "JSON", new[] { new { name = "x.json", subject = "nobody", version = 1 } }), Rest.MediaType, 422, 42201 },
        { "wrong content type", "POST", $"/subjects/{Known}/versions", Rest.Body(StringSchema), "text/plain", 415, 415 },
        { "unknown subject versions", "GET", "/subjects/nobody/versions", null, null, 404, 40401 },
        { "unknown subject version", "GET", "/subjects/nobody/versions/1", null, null, 404, 40401 },
        { "unknown version", "GET", $"/subjects/{Known}/versions/99", null, null, 404, 40402 },
        { "version is not a number", "GET", $"/subjects/{Known}/versions/abc", null, null, 422, 42202 },
        { "version zero", "GET", $"/subjects/{Known}/versions/0", null, null, 422, 42202 },
        { "version beyond int32", "GET", $"/subjects/{Known}/versions/2147483648", null, null, 422, 42202 },
        { "bad version on delete", "DELETE", $"/subjects/{Known}/versions/-5", null, null, 422, 42202 },
        { "bad version on compatibility", "POST", $"/compatibility/subjects/{Known}/versions/x1", Rest.Body(StringSchema), Rest.MediaType, 422, 42202 },
        { "unknown version on compatibility", "POST", $"/compatibility/subjects/{Known}/versions/42", Rest.Body(StringSchema), Rest.MediaType, 404, 40402 },
        { "unknown schema id", "GET", "/schemas/ids/999999", null, null, 404, 40403 },
        { "schema id not a number", "GET", "/schemas/ids/abc", null, null, 404, 40403 },
        { "lookup in unknown subject", "POST", "/subjects/nobody", Rest.Body(StringSchema), Rest.MediaType, 404, 40401 },
        { "lookup of unknown schema", "POST", $"/subjects/{Known}", Rest.Body("""{"type":"boolean"}"""), Rest.MediaType, 404, 40403 },
        { "delete unknown subject", "DELETE", "/subjects/nobody", null, null, 404, 40401 },
        { "invalid compatibility level", "PUT", "/config", """{"compatibility":"SIDEWAYS"}""", Rest.MediaType, 422, 42203 },
        { "compatibility member missing", "PUT", $"/config/{Known}", """{"level":"FULL"}""", Rest.MediaType, 422, 42203 },
        { "no subject-level config", "GET", $"/config/{Known}", null, null, 404, 40408 },
        { "unknown endpoint", "GET", "/no/such/endpoint", null, null, 404, 404 },
        { "wrong method", "PATCH", "/subjects", null, null, 405, 405 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_a_4xx_with_a_confluent_error_body(string name, string method, string path, string? body, string? contentType, int status, int errorCode)
    {
        await EnsureKnownSubjectAsync();
        var response = await Rest.SendAsync(fixture.Http, new HttpMethod(method), path, body, contentType);
        var message = Rest.AssertError(response, status, errorCode);
        Assert.False(message.Contains("Exception", StringComparison.Ordinal), $"{name}: the message leaks an exception: {message}");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_with_and_without_content_length()
    {
        var huge = Rest.Body("{\"description\":\"" + new string('x', (int)RegistryFixture.MaxRequestBytes * 2) + "\"}");

        var declared = Rest.AssertError(await Rest.PostAsync(fixture.Http, "/subjects/huge/versions", huge), 413, 413);
        Assert.Contains("max-request-bytes", declared);

        // Chunked: no Content-Length, the limit is enforced while reading.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/subjects/huge/versions")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(Rest.MediaType);
        request.Headers.TransferEncodingChunked = true;
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(413, body.RootElement.GetProperty("error_code").GetInt32());

        // Far beyond the limit, announced with Expect: 100-continue (as curl does): refused before the body is sent.
        using var announced = new HttpRequestMessage(HttpMethod.Post, "/subjects/huge/versions")
        {
            Content = new ByteArrayContent(new byte[8 * 1024 * 1024]),
        };
        announced.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(Rest.MediaType);
        announced.Headers.ExpectContinue = true;
        using var refused = await fixture.Http.SendAsync(announced);
        Assert.Equal(413, (int)refused.StatusCode);

        var (status, subjects) = await Rest.GetAsync(fixture.Http, "/subjects");
        Assert.Equal(200, status);
        Assert.DoesNotContain("huge", subjects.EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Soft_and_permanent_deletes_follow_confluents_order_and_codes()
    {
        var subject = Rest.Subject("deletes");
        await Rest.RegisterAsync(fixture.Http, subject, StringSchema);
        await Rest.PutAsync(fixture.Http, $"/config/{subject}", """{"compatibility":"NONE"}""");
        await Rest.RegisterAsync(fixture.Http, subject, """{"type":"integer"}""");

        Rest.AssertError(await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}/versions/1?permanent=true"), 404, 40407);
        Assert.Equal(1, (await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}/versions/1")).Body.GetInt32());
        Rest.AssertError(await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}/versions/1"), 404, 40406);
        Rest.AssertError(await Rest.GetAsync(fixture.Http, $"/subjects/{subject}/versions/1"), 404, 40402);
        Assert.Equal(200, (await Rest.GetAsync(fixture.Http, $"/subjects/{subject}/versions/1?deleted=true")).Status);
        Assert.Equal("[2]", (await Rest.GetAsync(fixture.Http, $"/subjects/{subject}/versions")).Body.GetRawText());
        Assert.Equal("[1,2]", (await Rest.GetAsync(fixture.Http, $"/subjects/{subject}/versions?deleted=true")).Body.GetRawText());
        Assert.Equal(1, (await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}/versions/1?permanent=true")).Body.GetInt32());
        Rest.AssertError(await Rest.GetAsync(fixture.Http, $"/subjects/{subject}/versions/1?deleted=true"), 404, 40402);

        Rest.AssertError(await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}?permanent=true"), 404, 40405);
        Assert.Equal("[2]", (await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}")).Body.GetRawText());
        Rest.AssertError(await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}"), 404, 40404);
        Rest.AssertError(await Rest.GetAsync(fixture.Http, $"/subjects/{subject}/versions"), 404, 40401);
        var all = (await Rest.GetAsync(fixture.Http, "/subjects?deleted=true")).Body.EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains(subject, all);
        var lookup = await Rest.PostAsync(fixture.Http, $"/subjects/{subject}?deleted=true", Rest.Body("""{"type":"integer"}"""));
        Assert.Equal(200, lookup.Status);
        Assert.Equal(2, lookup.Body.GetProperty("version").GetInt32());

        Assert.Equal("[2]", (await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}?permanent=true")).Body.GetRawText());
        Rest.AssertError(await Rest.DeleteAsync(fixture.Http, $"/subjects/{subject}"), 404, 40401);
    }

    [Fact]
    public async Task Config_endpoints_read_set_and_delete_levels()
    {
        var subject = Rest.Subject("config");
        await Rest.RegisterAsync(fixture.Http, subject, StringSchema);

        Assert.Equal("BACKWARD", (await Rest.GetAsync(fixture.Http, $"/config/{subject}?defaultToGlobal=true")).Body.GetProperty("compatibilityLevel").GetString());
        var put = await Rest.PutAsync(fixture.Http, $"/config/{subject}", """{"compatibility":"full_transitive"}""");
        Assert.Equal((200, "FULL_TRANSITIVE"), (put.Status, put.Body.GetProperty("compatibility").GetString()));
        Assert.Equal("FULL_TRANSITIVE", (await Rest.GetAsync(fixture.Http, $"/config/{subject}")).Body.GetProperty("compatibilityLevel").GetString());
        Assert.Equal("FULL_TRANSITIVE", (await Rest.DeleteAsync(fixture.Http, $"/config/{subject}")).Body.GetProperty("compatibilityLevel").GetString());
        Rest.AssertError(await Rest.GetAsync(fixture.Http, $"/config/{subject}"), 404, 40408);
        Assert.Equal("[\"JSON\"]", (await Rest.GetAsync(fixture.Http, "/schemas/types")).Body.GetRawText());
    }

    [Fact]
    public async Task Content_types_of_confluent_clients_and_plain_json_are_accepted()
    {
        foreach (var contentType in new[] { "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json", "application/json; charset=utf-8" })
        {
            var response = await Rest.SendAsync(fixture.Http, HttpMethod.Post, $"/subjects/{Rest.Subject("ct")}/versions", Rest.Body(StringSchema), contentType);
            Assert.True(response.Status == 200, $"{contentType}: {response.Status} {response.Body}");
        }
    }

    private async Task EnsureKnownSubjectAsync()
    {
        var (status, _) = await Rest.GetAsync(fixture.Http, $"/subjects/{Known}/versions");
        if (status != 200)
        {
            await Rest.RegisterAsync(fixture.Http, Known, StringSchema);
        }
    }
}
