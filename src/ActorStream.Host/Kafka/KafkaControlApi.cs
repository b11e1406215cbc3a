using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActorStream.TestKit;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Kafka;

/// <summary>
/// JSON control API of <c>actorstream kafka</c> (topic creation and fault injection on the embedded cluster).
/// </summary>
/// <remarks>
/// <code>
/// GET    /health                                  200 {"status":"ok","bootstrapServers":"...","brokers":[1,2,3]}
/// GET    /topics                                  200 [{"name":"t","partitions":3}]   (topics created through this process)
/// POST   /topics                                  {"name":"t","partitions":3[,"replicationFactor":1]}
///                                                 201 created / 200 already exists alike / 409 exists otherwise
/// POST   /brokers/{id}/down | /brokers/{id}/up    200
/// POST   /brokers/{id}/rtt                        {"ms":100}
/// POST   /partitions/{topic}/{partition}/leader   {"brokerId":2}   (-1: leaderless)
/// POST   /partitions/{topic}/{partition}/delete-records  {"beforeOffset":5}  (truncate: new log start offset)
/// POST   /faults/request-errors                   {"apiKey":"Produce"|0,"errors":["NotLeaderForPartition",6]}
/// DELETE /faults/request-errors/{apiKey}          drop pushed errors not used yet
/// POST   /coordinators                            {"keyType":"group","key":"g1","brokerId":2}
/// </code>
/// Errors are JSON <c>{"error":"..."}</c> naming the offending field, broker, topic or partition: 400 for invalid
/// input (including malformed JSON), 404 for an unknown broker/topic/partition/endpoint, 409 for a conflicting
/// topic, 413 for a body over <see cref="MaxBodyBytes"/>. Bad input never yields 500.
/// </remarks>
internal static class KafkaControlApi
{
    public const int MaxBodyBytes = 64 * 1024;
    private const int MaxErrorsPerPush = 10_000;

    // Readable error texts ('topic' rather than \u0027topic\u0027); responses are application/json, never HTML.
    private static readonly JsonSerializerOptions ResponseJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(IEndpointRouteBuilder app, EmbeddedKafka kafka, ILogger logger)
    {
        app.MapGet("/health", () => Ok(new JsonObject
        {
            ["status"] = "ok",
            ["bootstrapServers"] = kafka.BootstrapServers,
            ["brokers"] = new JsonArray(kafka.BrokerIds.Select(id => (JsonNode?)id).ToArray()),
        }));

        app.MapGet("/topics", () => Ok(new JsonArray(kafka.Topics
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => (JsonNode?)new JsonObject { ["name"] = t.Key, ["partitions"] = t.Value })
            .ToArray())));

        app.MapPost("/topics", (Func<HttpContext, Task<IResult>>)(context => Handle(context, logger, async () =>
        {
            var body = await ReadObjectAsync(context);
            var name = RequireString(body, "name");
            var invalidName = EmbeddedKafka.CheckTopicName(name);
            if (invalidName is not null)
            {
                throw new ControlApiException(StatusCodes.Status400BadRequest, $"field 'name' is invalid: {invalidName}");
            }

            var partitions = RequireInt(body, "partitions", 1, EmbeddedKafka.MaxPartitions);
            var replicationFactor = OptionalInt(body, "replicationFactor", 1, kafka.BrokerCount) ?? 1;
            var existed = kafka.Topics.TryGetValue(name, out var known) && known == partitions;
            kafka.CreateTopic(name, partitions, replicationFactor);
            var result = new JsonObject { ["name"] = name, ["partitions"] = partitions, ["replicationFactor"] = replicationFactor };
            if (existed)
            {
                return Json(StatusCodes.Status200OK, result);
            }

            logger.LogInformation("Created topic {Topic} with {Partitions} partition(s)", name, partitions);
            context.Response.Headers.Location = $"/topics/{Uri.EscapeDataString(name)}";
            return Json(StatusCodes.Status201Created, result);
        })));

        app.MapPost("/brokers/{id}/down", (HttpContext context, string id) => Handle(context, logger, () =>
        {
            var brokerId = RequireBroker(kafka, id);
            kafka.SetBrokerDown(brokerId);
            logger.LogInformation("Broker {BrokerId} is down", brokerId);
            return Task.FromResult(Ok(new JsonObject { ["brokerId"] = brokerId, ["state"] = "down" }));
        }));

        app.MapPost("/brokers/{id}/up", (HttpContext context, string id) => Handle(context, logger, () =>
        {
            var brokerId = RequireBroker(kafka, id);
            kafka.SetBrokerUp(brokerId);
            logger.LogInformation("Broker {BrokerId} is up", brokerId);
            return Task.FromResult(Ok(new JsonObject { ["brokerId"] = brokerId, ["state"] = "up" }));
        }));

        app.MapPost("/brokers/{id}/rtt", (HttpContext context, string id) => Handle(context, logger, async () =>
        {
            var brokerId = RequireBroker(kafka, id);
            var body = await ReadObjectAsync(context);
            var ms = RequireInt(body, "ms", 0, int.MaxValue);
            kafka.SetBrokerRtt(brokerId, TimeSpan.FromMilliseconds(ms));
            logger.LogInformation("Broker {BrokerId} rtt is {Rtt} ms", brokerId, ms);
            return Ok(new JsonObject { ["brokerId"] = brokerId, ["rttMs"] = ms });
        }));

        app.MapPost("/partitions/{topic}/{partition}/leader", (HttpContext context, string topic, string partition) => Handle(context, logger, async () =>
        {
            var partitionId = RequirePartition(partition);
            var body = await ReadObjectAsync(context);
            var brokerId = RequireInt(body, "brokerId", -1, int.MaxValue);
            if (brokerId != -1)
            {
                RequireBroker(kafka, brokerId.ToString(CultureInfo.InvariantCulture));
            }

            kafka.SetPartitionLeader(topic, partitionId, brokerId);
            logger.LogInformation("Leader of {Topic} [{Partition}] is now broker {BrokerId}", topic, partitionId, brokerId);
            return Ok(new JsonObject { ["topic"] = topic, ["partition"] = partitionId, ["leader"] = brokerId });
        }));

        app.MapPost("/partitions/{topic}/{partition}/delete-records", (HttpContext context, string topic, string partition) => Handle(context, logger, async () =>
        {
            var partitionId = RequirePartition(partition);
            var body = await ReadObjectAsync(context);
            var beforeOffset = RequireLong(body, "beforeOffset", 0, long.MaxValue);
            kafka.DeleteRecords(topic, partitionId, beforeOffset);
            logger.LogInformation("Deleted records of {Topic} [{Partition}] before offset {Offset}", topic, partitionId, beforeOffset);
            return Ok(new JsonObject { ["topic"] = topic, ["partition"] = partitionId, ["logStartOffset"] = beforeOffset });
        }));

        app.MapPost("/faults/request-errors", (Func<HttpContext, Task<IResult>>)(context => Handle(context, logger, async () =>
        {
            var body = await ReadObjectAsync(context);
            var apiKey = ParseApiKey(Require(body, "apiKey"), "apiKey");
            var errors = ParseErrors(Require(body, "errors"));
            kafka.PushRequestErrors(apiKey, errors);
            logger.LogInformation("Next {Count} {ApiKey} request(s) fail with {Errors}", errors.Length, apiKey, string.Join(", ", errors));
            return Ok(new JsonObject
            {
                ["apiKey"] = apiKey.ToString(),
                ["errors"] = new JsonArray(errors.Select(e => (JsonNode?)e.ToString()).ToArray()),
            });
        })));

        app.MapDelete("/faults/request-errors/{apiKey}", (HttpContext context, string apiKey) => Handle(context, logger, () =>
        {
            var key = ParseApiKeyText(apiKey) ?? throw ApiKeyError("apiKey", $"\"{Truncate(apiKey)}\"");
            kafka.ClearRequestErrors(key);
            logger.LogInformation("Cleared pending {ApiKey} request errors", key);
            return Task.FromResult(Ok(new JsonObject { ["apiKey"] = key.ToString(), ["cleared"] = true }));
        }));

        app.MapPost("/coordinators", (Func<HttpContext, Task<IResult>>)(context => Handle(context, logger, async () =>
        {
            var body = await ReadObjectAsync(context);
            var keyType = RequireString(body, "keyType");
            if (keyType is not ("group" or "transaction"))
            {
                throw new ControlApiException(
                    StatusCodes.Status400BadRequest, $"field 'keyType' must be \"group\" or \"transaction\" (was \"{keyType}\")");
            }

            var key = RequireString(body, "key");
            var brokerId = RequireBroker(kafka, RequireInt(body, "brokerId", int.MinValue, int.MaxValue).ToString(CultureInfo.InvariantCulture));
            kafka.SetCoordinator(keyType, key, brokerId);
            logger.LogInformation("The {KeyType} coordinator of {Key} is broker {BrokerId}", keyType, key, brokerId);
            return Ok(new JsonObject { ["keyType"] = keyType, ["key"] = key, ["brokerId"] = brokerId });
        })));

        app.MapFallback((Func<HttpContext, IResult>)(context => Error(
            StatusCodes.Status404NotFound,
            $"no endpoint {context.Request.Method} {context.Request.Path}; see GET /health, GET|POST /topics, POST /brokers/{{id}}/down|up|rtt, "
            + "POST /partitions/{topic}/{partition}/leader|delete-records, POST /faults/request-errors, POST /coordinators")));
    }

    private static async Task<IResult> Handle(HttpContext context, ILogger logger, Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (ControlApiException ex)
        {
            return Error(ex.StatusCode, ex.Message);
        }
        catch (EmbeddedKafkaException ex)
        {
            var status = ex.ErrorCode switch
            {
                ErrorCode.UnknownTopicOrPart => StatusCodes.Status404NotFound,
                ErrorCode.TopicAlreadyExists => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            };
            return Error(status, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            return Error(ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"request body larger than {MaxBodyBytes} bytes"
                : $"bad request: {ex.Message}");
        }
        catch (ObjectDisposedException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "the embedded Kafka cluster is shutting down");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Control API {Method} {Path} failed", context.Request.Method, context.Request.Path);
            return Error(StatusCodes.Status500InternalServerError, $"internal error: {ex.Message}");
        }
    }

    private static IResult Ok(JsonNode body) => Json(StatusCodes.Status200OK, body);

    private static IResult Error(int status, string message) => Json(status, new JsonObject { ["error"] = message });

    private static IResult Json(int status, JsonNode body) =>
        Results.Text(body.ToJsonString(ResponseJson), "application/json", Encoding.UTF8, status);

    private static async Task<JsonElement> ReadObjectAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new ControlApiException(StatusCodes.Status413PayloadTooLarge, $"request body larger than {MaxBodyBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new ControlApiException(StatusCodes.Status413PayloadTooLarge, $"request body larger than {MaxBodyBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new ControlApiException(StatusCodes.Status400BadRequest, "request body is empty; expected a JSON object");
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ControlApiException(
                    StatusCodes.Status400BadRequest, $"expected a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ControlApiException(StatusCodes.Status400BadRequest, $"malformed JSON: {ex.Message}");
        }
    }

    private static JsonElement Require(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ControlApiException(StatusCodes.Status400BadRequest, $"field '{field}' is required");
        }

        return value;
    }

    private static string RequireString(JsonElement body, string field)
    {
        var value = Require(body, field);
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
        {
            throw new ControlApiException(StatusCodes.Status400BadRequest, $"field '{field}' must be a non-empty string (was {value.GetRawText()})");
        }

        return value.GetString()!;
    }

    private static int RequireInt(JsonElement body, string field, int min, int max) =>
        ToInt(Require(body, field), field, min, max);

    private static int? OptionalInt(JsonElement body, string field, int min, int max) =>
        body.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? ToInt(value, field, min, max) : null;

    private static int ToInt(JsonElement value, string field, int min, int max)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var result) && result >= min && result <= max)
        {
            return result;
        }

        throw new ControlApiException(StatusCodes.Status400BadRequest, $"field '{field}' must be an integer from {min} to {max} (was {Truncate(value.GetRawText())})");
    }

    private static long RequireLong(JsonElement body, string field, long min, long max)
    {
        var value = Require(body, field);
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var result) && result >= min && result <= max)
        {
            return result;
        }

        throw new ControlApiException(StatusCodes.Status400BadRequest, $"field '{field}' must be an integer from {min} to {max} (was {Truncate(value.GetRawText())})");
    }

    private static int RequireBroker(EmbeddedKafka kafka, string id)
    {
        if (!int.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var brokerId))
        {
            throw new ControlApiException(StatusCodes.Status400BadRequest, $"broker id '{Truncate(id)}' is not an integer");
        }

        if (!kafka.BrokerIds.Contains(brokerId))
        {
            throw new ControlApiException(
                StatusCodes.Status404NotFound, $"broker {brokerId} does not exist (broker ids are 1..{kafka.BrokerCount})");
        }

        return brokerId;
    }

    private static int RequirePartition(string partition)
    {
        if (int.TryParse(partition, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        throw new ControlApiException(StatusCodes.Status400BadRequest, $"partition '{Truncate(partition)}' is not a non-negative integer");
    }

    private static KafkaApiKey ParseApiKey(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt16(out var number) && number >= 0)
        {
            return (KafkaApiKey)number;
        }

        var parsed = value.ValueKind == JsonValueKind.String ? ParseApiKeyText(value.GetString() ?? string.Empty) : null;
        return parsed ?? throw ApiKeyError(field, Truncate(value.GetRawText()));
    }

    private static KafkaApiKey? ParseApiKeyText(string text)
    {
        if (short.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
        {
            return (KafkaApiKey)numeric;
        }

        return Enum.TryParse<KafkaApiKey>(text, ignoreCase: true, out var named) && Enum.IsDefined(named) ? named : null;
    }

    private static ControlApiException ApiKeyError(string field, string was) => new(
        StatusCodes.Status400BadRequest,
        $"field '{field}' must be a Kafka API name ({string.Join(", ", Enum.GetNames<KafkaApiKey>())}) or a non-negative number (was {was})");

    private static ErrorCode[] ParseErrors(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw new ControlApiException(
                StatusCodes.Status400BadRequest, $"field 'errors' must be a non-empty array of error names or numbers (was {Truncate(value.GetRawText())})");
        }

        if (value.GetArrayLength() > MaxErrorsPerPush)
        {
            throw new ControlApiException(StatusCodes.Status400BadRequest, $"field 'errors' has more than {MaxErrorsPerPush} entries");
        }

        var result = new List<ErrorCode>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var number))
            {
                result.Add((ErrorCode)number);
            }
            else if (item.ValueKind == JsonValueKind.String
                && !int.TryParse(item.GetString(), out _)
                && Enum.TryParse<ErrorCode>(item.GetString(), ignoreCase: true, out var named)
                && Enum.IsDefined(named))
            {
                result.Add(named);
            }
            else
            {
                throw new ControlApiException(
                    StatusCodes.Status400BadRequest,
                    $"field 'errors[{index}]' ({Truncate(item.GetRawText())}) is not a Kafka error code name (e.g. NotLeaderForPartition, RequestTimedOut, Local_Transport) or number");
            }

            index++;
        }

        return result.ToArray();
    }

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "...";

    private sealed class ControlApiException(int statusCode, string message) : Exception(message)
    {
        public int StatusCode { get; } = statusCode;
    }
}
