using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ActorStream.SchemaRegistry.Internal.Http;

/// <summary>Reading requests and writing responses the way Confluent's REST API does.</summary>
internal static class RegistryHttp
{
    public const string ContentType = "application/vnd.schemaregistry.v1+json";

    private static readonly string[] AcceptedMediaTypes = ["application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json", "application/octet-stream"];

    /// <summary>Reads a JSON body (bounded by <paramref name="limit"/>); wrong media type → 415, too large → 413, not JSON → 400.</summary>
    public static async Task<JsonElement> ReadJsonAsync(HttpContext context, long limit)
    {
        var contentType = context.Request.ContentType;
        if (!string.IsNullOrWhiteSpace(contentType))
        {
            var mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
            if (!AcceptedMediaTypes.Contains(mediaType))
            {
                throw RegistryErrors.UnsupportedMediaType(contentType);
            }
        }

        if (context.Request.ContentLength > limit)
        {
            throw RegistryErrors.TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await DrainAsync(context, chunk);
                throw RegistryErrors.TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw RegistryErrors.BadRequest("The request body is empty; expected a JSON object");
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 256 });
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw RegistryErrors.BadRequest($"Malformed JSON request body: {ex.Message}");
        }
    }

    /// <summary>Kestrel's hard limit: bodies up to it are read to the end (and dropped) so a 413 reaches the client on a healthy connection.</summary>
    public static long DrainLimit(long limit) => limit > long.MaxValue / 4 ? long.MaxValue : Math.Max(limit * 4, limit + (1 << 20));

    /// <summary>Reads the rest of an oversized body (bounded by Kestrel's limit), so the client is not cut off mid-send.</summary>
    private static async Task DrainAsync(HttpContext context, byte[] chunk)
    {
        try
        {
            while (await context.Request.Body.ReadAsync(chunk, context.RequestAborted) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Beyond the drain limit: Kestrel closes the connection after the response.
        }
    }

    public static bool Flag(HttpContext context, string name) =>
        string.Equals(context.Request.Query[name].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A subject from the route: routing decodes everything but <c>%2F</c>.</summary>
    public static string Subject(string raw) => raw.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Json(JsonNode? node, int status = 200) =>
        Results.Text(node?.ToJsonString(Output) ?? "null", ContentType, System.Text.Encoding.UTF8, status);

    public static Task WriteErrorAsync(HttpContext context, int status, int errorCode, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        var body = new JsonObject { ["error_code"] = errorCode, ["message"] = message };
        return context.Response.WriteAsync(body.ToJsonString(Output));
    }
}
