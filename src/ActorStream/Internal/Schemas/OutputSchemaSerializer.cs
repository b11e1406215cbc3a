using System.Collections.Concurrent;
using System.Net;
using ActorStream.Entities;
using Confluent.SchemaRegistry;
using NJsonSchema;

namespace ActorStream.Internal.Schemas;

/// <summary>
/// Writes emitted JSON values in Confluent's wire format with the latest schema of the subject
/// <c>&lt;topic&gt;-value</c>, validating first — what Confluent's JsonSerializer does with
/// <c>auto.register.schemas=false</c> and <c>use.latest.version=true</c>, on the bytes the entity
/// already serialized (Confluent's serializer would re-serialize a CLR object with Newtonsoft and
/// could disagree with the entity's System.Text.Json naming). Never registers: a generated schema is
/// not a contract, so schemas come from whoever owns them (deployment, <c>actorstream schemas
/// register</c>, <c>actorstream dev</c>). Thread-safe; one per node.
/// </summary>
internal sealed class OutputSchemaSerializer : IDisposable
{
    // Same freshness as json-validated reads: a new version is picked up within minutes, without a
    // registry round trip per record.
    private static readonly TimeSpan LatestTtl = TimeSpan.FromMinutes(5);

    private readonly ISchemaRegistryClient _client;
    private readonly ConcurrentDictionary<string, Entry> _latest = new(StringComparer.Ordinal);

    public OutputSchemaSerializer(ISchemaRegistryClient client)
    {
        _client = client;
    }

    /// <summary>
    /// The wire-format value for <paramref name="json"/> emitted to <paramref name="topic"/>.
    /// </summary>
    /// <exception cref="OutputSchemaException">The value does not validate, or the subject has no usable JSON Schema.</exception>
    public async ValueTask<byte[]> SerializeAsync(string topic, byte[] json)
    {
        var subject = SchemaChecker.SubjectOf(topic);
        if (!_latest.TryGetValue(subject, out var entry) || entry.ExpiresAt < DateTime.UtcNow)
        {
            entry = await FetchAsync(topic, subject).ConfigureAwait(false);
            _latest[subject] = entry;
        }

        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(json);
        }
        catch (Exception ex)
        {
            throw new OutputSchemaException(topic, subject, $"the value is not UTF-8 JSON: {ex.Message}");
        }

        ICollection<NJsonSchema.Validation.ValidationError> errors;
        try
        {
            errors = entry.Schema.Validate(text);
        }
        catch (Exception ex)
        {
            throw new OutputSchemaException(topic, subject, $"the value is not JSON: {ex.Message}");
        }

        if (errors.Count > 0)
        {
            var details = string.Join("; ", errors.Select(e => $"{(string.IsNullOrEmpty(e.Path) ? "#" : e.Path)}: {e.Kind}"));
            throw new OutputSchemaException(topic, subject, $"the value does not match schema id {entry.Id} (version {entry.Version}): {details}");
        }

        var framed = new byte[json.Length + 5];
        framed[0] = 0;
        framed[1] = (byte)(entry.Id >> 24);
        framed[2] = (byte)(entry.Id >> 16);
        framed[3] = (byte)(entry.Id >> 8);
        framed[4] = (byte)entry.Id;
        json.CopyTo(framed, 5);
        return framed;
    }

    public void Dispose() => (_client as IDisposable)?.Dispose();

    private async Task<Entry> FetchAsync(string topic, string subject)
    {
        RegisteredSchema latest;
        try
        {
            latest = await _client.GetLatestSchemaAsync(subject).ConfigureAwait(false);
        }
        catch (SchemaRegistryException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            // Not cached: registering the schema makes the next retry of the record succeed.
            throw new OutputSchemaException(topic, subject,
                $"the subject has no schema in the registry ({(int)ex.Status} error {ex.ErrorCode}: {ex.Message}); register one (actorstream schemas register --subject {subject} --file F)");
        }

        if (latest.SchemaType != Confluent.SchemaRegistry.SchemaType.Json)
        {
            throw new OutputSchemaException(topic, subject, $"the latest schema (id {latest.Id}) is a {latest.SchemaType} schema, not JSON Schema");
        }

        if (latest.References is { Count: > 0 })
        {
            throw new OutputSchemaException(topic, subject, $"the latest schema (id {latest.Id}) has schema references, which emit-format = json-schema does not resolve");
        }

        try
        {
            return new Entry(latest.Id, latest.Version, await JsonSchema.FromJsonAsync(latest.SchemaString).ConfigureAwait(false), DateTime.UtcNow + LatestTtl);
        }
        catch (Exception ex)
        {
            throw new OutputSchemaException(topic, subject, $"the latest schema (id {latest.Id}) cannot be read as JSON Schema: {ex.Message}");
        }
    }

    private sealed record Entry(int Id, int Version, JsonSchema Schema, DateTime ExpiresAt);
}
