using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.SchemaRegistry;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Raw HTTP calls to the registry, for what the Confluent client does not expose (status codes, bodies).</summary>
internal static class Rest
{
    public const string MediaType = "application/vnd.schemaregistry.v1+json";

    public static string Subject(string name) => $"{name}-{Guid.NewGuid():N}";

    public static string Body(string schema, string? type = "JSON", object? references = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["schema"] = schema,
            ["schemaType"] = type,
            ["references"] = references,
        });

    public static Schema Json(string schema) => new(schema, SchemaType.Json);

    public static async Task<(int Status, JsonElement Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? body = null, string? contentType = MediaType)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement parsed;
        try
        {
            parsed = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"{method} {path} answered {(int)response.StatusCode} with a body that is not JSON: '{text}'");
        }

        return ((int)response.StatusCode, parsed);
    }

    public static Task<(int Status, JsonElement Body)> GetAsync(HttpClient http, string path) => SendAsync(http, HttpMethod.Get, path);

    public static Task<(int Status, JsonElement Body)> PostAsync(HttpClient http, string path, string body) => SendAsync(http, HttpMethod.Post, path, body);

    public static Task<(int Status, JsonElement Body)> PutAsync(HttpClient http, string path, string body) => SendAsync(http, HttpMethod.Put, path, body);

    public static Task<(int Status, JsonElement Body)> DeleteAsync(HttpClient http, string path) => SendAsync(http, HttpMethod.Delete, path);

    public static async Task<int> RegisterAsync(HttpClient http, string subject, string schema)
    {
        var (status, body) = await PostAsync(http, $"/subjects/{Uri.EscapeDataString(subject)}/versions", Body(schema));
        Assert.True(status == 200, $"register answered {status}: {body}");
        return body.GetProperty("id").GetInt32();
    }

    /// <summary>Asserts a Confluent error: the HTTP status, the error_code and a non-empty message; returns the message.</summary>
    public static string AssertError((int Status, JsonElement Body) response, int status, int errorCode)
    {
        Assert.True(response.Status == status, $"expected HTTP {status}, got {response.Status}: {response.Body}");
        Assert.Equal(JsonValueKind.Object, response.Body.ValueKind);
        Assert.Equal(errorCode, response.Body.GetProperty("error_code").GetInt32());
        var message = response.Body.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }
}
