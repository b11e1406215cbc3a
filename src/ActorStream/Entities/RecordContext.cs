using System.Text.Json;

namespace ActorStream.Entities;

/// <summary>
/// What a <see cref="RecordEntity{TValue}"/> handler gets besides the value: the record, the entity id,
/// the attempt, and <see cref="Emit{T}"/> for outputs, which are sent (and acknowledged) after the
/// handler returned and before the record is acknowledged.
/// </summary>
public sealed class RecordContext
{
    private readonly List<OutputRecord> _outputs = new();
    private readonly Pipelines.Settings.EmitFormat _emitFormat;

    internal RecordContext(ProcessRecord message)
    {
        EntityId = message.EntityId;
        Record = message.Record;
        Attempt = message.Attempt;
        _emitFormat = message.EmitFormat;
    }

    /// <summary>The entity id (record key).</summary>
    public string EntityId { get; }

    /// <summary>The record being handled.</summary>
    public KafkaRecord Record { get; }

    /// <summary>1 for the first delivery; higher when the record is retried after a failure.</summary>
    public int Attempt { get; }

    /// <summary>Records emitted so far by this handler call.</summary>
    public IReadOnlyList<OutputRecord> Outputs => _outputs;

    /// <summary>Emits <paramref name="value"/> as JSON (web defaults: camelCase) to <paramref name="topic"/>.</summary>
    public void Emit<T>(string topic, string? key, T value) =>
        Emit(new OutputRecord(topic, key, JsonSerializer.SerializeToUtf8Bytes(value, EntityJson.Options)));

    /// <summary>Emits a record as given.</summary>
    public void Emit(OutputRecord record)
    {
        if (string.IsNullOrWhiteSpace(record.Topic))
        {
            throw new ArgumentException("An output record needs a topic", nameof(record));
        }

        if (Record.TraceParent is { } traceParent && record.Headers?.Any(h => h.Key == Metrics.PipelineTracing.TraceParentHeader) != true)
        {
            record = record with
            {
                Headers = [.. record.Headers ?? [], new KeyValuePair<string, byte[]>(Metrics.PipelineTracing.TraceParentHeader, System.Text.Encoding.UTF8.GetBytes(traceParent))],
            };
        }

        // The pipeline decides the output format, not the entity: the same entity type can run in a
        // plain-JSON pipeline and in a schema-checked one.
        _outputs.Add(record with { Format = _emitFormat });
    }
}

/// <summary>JSON options shared by entity values and outputs.</summary>
public static class EntityJson
{
    /// <summary>Web defaults (camelCase, case-insensitive reading).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
