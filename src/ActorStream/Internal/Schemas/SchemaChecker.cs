using System.Collections.Concurrent;
using System.Net;
using Akka.Event;
using ActorStream.Pipelines.Settings;
using Confluent.SchemaRegistry;
using NJsonSchema;

namespace ActorStream.Internal.Schemas;

/// <summary>The outcome of checking one value against its schema.</summary>
internal abstract record SchemaCheck
{
    /// <summary>The JSON payload (the wire-format prefix removed) passed the schema.</summary>
    public sealed record Valid(byte[] Json) : SchemaCheck;

    /// <summary>The value is bad for good (no magic byte, unknown schema, validation errors): stage=schema.</summary>
    public sealed record Invalid(string ExceptionType, string Message) : SchemaCheck;

    /// <summary>The schema is not cached yet; fetch <paramref name="Key"/> (an int id or a subject) and check again.</summary>
    public sealed record Missing(object Key) : SchemaCheck;
}

/// <summary>
/// Checks pipeline values against JSON Schemas from a Confluent-compatible registry. Checks are
/// synchronous and only use cached schemas (never block the stream); a miss answers
/// <see cref="SchemaCheck.Missing"/> and the caller fetches it with <see cref="FetchAsync"/> off the
/// stage thread. An unreachable registry is retried with backoff inside the fetch (logged), never
/// reported as a bad record. Thread-safe; one per pipeline, shared by its partitions.
/// </summary>
internal sealed class SchemaChecker : IDisposable
{
    /// <summary>Error type in the DLQ headers of records that fail the schema check.</summary>
    public const string ExceptionType = "ActorStream.SchemaValidation";

    private static readonly TimeSpan SubjectTtl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan NotFoundTtl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly ISchemaRegistryClient _client;
    private readonly ValueFormat _format;
    private readonly string _pipeline;
    private readonly ILoggingAdapter _log;
    private readonly ConcurrentDictionary<object, Entry> _cache = new();

    public SchemaChecker(ISchemaRegistryClient client, ValueFormat format, string pipeline, ILoggingAdapter log)
    {
        _client = client;
        _format = format;
        _pipeline = pipeline;
        _log = log;
    }

    /// <summary>The registry subject of a topic's values (TopicNameStrategy).</summary>
    public static string SubjectOf(string topic) => topic + "-value";

    /// <summary>Checks <paramref name="value"/> of a record of <paramref name="topic"/> with the cached schemas only.</summary>
    public SchemaCheck Check(string topic, byte[]? value)
    {
        if (value is null || value.Length == 0)
        {
            return new SchemaCheck.Invalid(ExceptionType, "the value is empty");
        }

        object key;
        byte[] json;
        if (_format == ValueFormat.JsonSchema)
        {
            if (value.Length < 5 || value[0] != 0)
            {
                return new SchemaCheck.Invalid(ExceptionType,
                    "the value is not in the schema registry wire format (magic byte 0 + 4-byte schema id + JSON); value-format = json-schema");
            }

            key = (value[1] << 24) | (value[2] << 16) | (value[3] << 8) | value[4];
            json = value[5..];
        }
        else
        {
            key = SubjectOf(topic);
            json = value;
        }

        if (!_cache.TryGetValue(key, out var entry) || entry.ExpiresAt < DateTime.UtcNow)
        {
            return new SchemaCheck.Missing(key);
        }

        if (entry.Schema is null)
        {
            return new SchemaCheck.Invalid(ExceptionType, entry.Problem!);
        }

        return Validate(entry.Schema, json, key);
    }

    /// <summary>
    /// Fetches the schema for <paramref name="key"/> into the cache; a schema the registry does not
    /// know (or that is not a usable JSON Schema) is cached as a problem for a short while. Retries
    /// an unreachable registry with backoff until it answers or <paramref name="cancellation"/> fires.
    /// </summary>
    public async Task FetchAsync(object key, CancellationToken cancellation)
    {
        var backoff = MinBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var text = key is int id
                    ? (await _client.GetSchemaAsync(id).ConfigureAwait(false))
                    : (await _client.GetLatestSchemaAsync((string)key).ConfigureAwait(false)).Schema;
                var what = Describe(key);
                if (text.SchemaType != Confluent.SchemaRegistry.SchemaType.Json)
                {
                    Store(key, null, $"{what} is a {text.SchemaType} schema, not JSON Schema", NotFoundTtl);
                    return;
                }

                if (text.References is { Count: > 0 })
                {
                    Store(key, null, $"{what} has schema references, which value-format = {EnumName()} does not resolve", NotFoundTtl);
                    return;
                }

                JsonSchema schema;
                try
                {
                    schema = await JsonSchema.FromJsonAsync(text.SchemaString, cancellation).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Store(key, null, $"{what} cannot be read as JSON Schema: {ex.Message}", NotFoundTtl);
                    return;
                }

                Store(key, schema, null, key is int ? TimeSpan.MaxValue : SubjectTtl);
                return;
            }
            catch (SchemaRegistryException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                Store(key, null, $"{Describe(key)} is not in the schema registry ({(int)ex.Status} error {ex.ErrorCode}: {ex.Message})", NotFoundTtl);
                return;
            }
            catch (Exception ex) when (!cancellation.IsCancellationRequested)
            {
                _log.Warning("Pipeline {0}: schema registry unavailable fetching {1} (attempt {2}): {3}; retrying in {4} ms, the record waits",
                    _pipeline, Describe(key), attempt, ex.GetBaseException().Message, (int)backoff.TotalMilliseconds);
                await Task.Delay(backoff, cancellation).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    public void Dispose() => (_client as IDisposable)?.Dispose();

    private static string Describe(object key) => key is int id ? $"schema id {id}" : $"the latest schema of subject '{key}'";

    private string EnumName() => _format == ValueFormat.JsonSchema ? "json-schema" : "json-validated";

    private void Store(object key, JsonSchema? schema, string? problem, TimeSpan ttl)
    {
        var expires = ttl == TimeSpan.MaxValue ? DateTime.MaxValue : DateTime.UtcNow + ttl;
        _cache[key] = new Entry(schema, problem, expires);
    }

    private static SchemaCheck Validate(JsonSchema schema, byte[] json, object key)
    {
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(json);
        }
        catch (Exception ex)
        {
            return new SchemaCheck.Invalid(ExceptionType, $"the value is not UTF-8 JSON: {ex.Message}");
        }

        ICollection<NJsonSchema.Validation.ValidationError> errors;
        try
        {
            errors = schema.Validate(text);
        }
        catch (Exception ex)
        {
            return new SchemaCheck.Invalid(ExceptionType, $"the value is not JSON: {ex.Message}");
        }

        if (errors.Count == 0)
        {
            return new SchemaCheck.Valid(json);
        }

        var details = string.Join("; ", errors.Select(e => $"{(string.IsNullOrEmpty(e.Path) ? "#" : e.Path)}: {e.Kind}"));
        return new SchemaCheck.Invalid(ExceptionType, $"the value does not match {Describe(key)}: {details}");
    }

    private sealed record Entry(JsonSchema? Schema, string? Problem, DateTime ExpiresAt);
}
