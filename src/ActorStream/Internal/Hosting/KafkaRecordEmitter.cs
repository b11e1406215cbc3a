using System.Globalization;
using Akka.Actor;
using Akka.Event;
using ActorStream.Entities;
using ActorStream.Kafka.Internal;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Internal.Hosting;

/// <summary>
/// The node's output producer: one idempotent Confluent producer (acks=all, murmur2_random, from
/// <c>actorstream.kafka.producer</c>) shared by all entities, replaced after a fatal error. Records
/// of one call are handed to the client in order, so per key they reach the broker in emit order.
/// Outputs of pipelines with <c>emit-format = json-schema</c> are validated and framed first
/// (asynchronously, before any record of the call is produced, so a refused value fails the whole
/// call and nothing of it is written). A call waits for every record's delivery report, then fails
/// with <see cref="OutputRejectedException"/> / <see cref="OutputSchemaException"/> when an output can
/// never be written, or with <see cref="OutputUnavailableException"/> for everything that clears by
/// itself (the entity host retries those for as long as they last).
/// </summary>
internal sealed class KafkaRecordEmitter : IRecordEmitter, IDisposable
{
    private readonly Lazy<RenewableProducer> _producer;
    private readonly Lazy<int> _maxMessageBytes;
    private readonly Lazy<Internal.Schemas.OutputSchemaSerializer> _schemas;

    public KafkaRecordEmitter(ActorSystem system)
    {
        var log = Logging.GetLogger(system, "ActorStream.Emitter");
        var settings = new Lazy<ProducerSettings<byte[], byte[]>>(() => ProducerSettings<byte[], byte[]>.Create(system));
        // Closing flushes for at most 10 s: the node is going down, and what is not delivered by then
        // is not acknowledged either (its record is redelivered after the restart).
        _producer = new Lazy<RenewableProducer>(() => settings.Value.CreateRenewableProducer(
            error => log.Warning("The output producer hit a fatal error ({0}: {1}); it is replaced, and outputs it did not deliver are sent again", error.Code, error.Reason),
            TimeSpan.FromSeconds(10)));
        _maxMessageBytes = new Lazy<int>(() => settings.Value.MaxMessageBytes);
        _schemas = new Lazy<Internal.Schemas.OutputSchemaSerializer>(() => new Internal.Schemas.OutputSchemaSerializer(
            Internal.Schemas.SchemaRegistryClients.Create(Internal.Schemas.SchemaRegistryClients.Url(system)
                ?? throw new InvalidOperationException($"emit-format = json-schema needs a schema registry: set {Internal.Schemas.SchemaRegistryClients.UrlPath} or {Internal.Schemas.SchemaRegistryClients.UrlVariable}"))));
        system.RegisterOnTermination(Dispose);
    }

    public async Task EmitAsync(IReadOnlyList<OutputRecord> records, CancellationToken cancellationToken = default)
    {
        var messages = new Message<byte[], byte[]>[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var value = r.Format == Pipelines.Settings.EmitFormat.JsonSchema ? await SerializeAsync(r).ConfigureAwait(false) : r.Value;
            messages[i] = new Message<byte[], byte[]>
            {
                Key = r.Key is null ? null! : System.Text.Encoding.UTF8.GetBytes(r.Key),
                Value = value,
                Headers = ToHeaders(r.Headers),
            };
            CheckWritable(r, messages[i]);
        }

        var generation = _producer.Value.Current;
        var pending = new Task<DeliveryResult<byte[], byte[]>>[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            try
            {
                pending[i] = generation.Producer.ProduceAsync(records[i].Topic, messages[i], cancellationToken);
            }
            catch (Exception ex) when (ex is KafkaException or OperationCanceledException)
            {
                // Refused at once (queue full, a fatal client): decided below with the others.
                pending[i] = Task.FromException<DeliveryResult<byte[], byte[]>>(ex);
            }
        }

        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Every delivery report is in (WhenAll waited for all): none of this call's records is
            // still on its way when the entity hears of the failure.
            throw Classify(records, messages, pending, generation);
        }

        Metrics.PipelineMetrics.RecordsEmitted.Add(records.Count);
    }

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Dispose();
        }

        if (_schemas.IsValueCreated)
        {
            _schemas.Value.Dispose();
        }
    }

    /// <summary>The first failure decides: a record that can never be written, else a reason that clears.</summary>
    private Exception Classify(IReadOnlyList<OutputRecord> records, Message<byte[], byte[]>[] messages, Task<DeliveryResult<byte[], byte[]>>[] pending,
        RenewableProducer.Generation generation)
    {
        Exception? transient = null;
        for (var i = 0; i < pending.Length; i++)
        {
            if (pending[i].IsCompletedSuccessfully)
            {
                continue;
            }

            var error = pending[i].Exception?.GetBaseException() ?? new OperationCanceledException("produce was cancelled");
            var topic = records[i].Topic;
            if (error is KafkaException kafka && ProduceErrors.IsPermanent(kafka.Error.Code))
            {
                return new OutputRejectedException(topic, ProduceErrors.IsSizeRefusal(kafka.Error.Code)
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"output to topic '{topic}' ({Describe(records[i].Key)}, {Size(messages[i]):N0} bytes) was refused as too large ({kafka.Error.Code}: {kafka.Error.Reason}): it can never be written")
                    : $"output to topic '{topic}' ({Describe(records[i].Key)}) was refused ({kafka.Error.Code}: {kafka.Error.Reason}): it can never be written", error);
            }

            transient ??= _producer.Value.IsFatal(generation, error)
                ? new OutputUnavailableException(topic, $"the producer hit a fatal error ({(error as KafkaException)?.Error.Code}: {error.Message}) and was replaced", error)
                : new OutputUnavailableException(topic, error is KafkaException k ? $"{k.Error.Code}: {k.Error.Reason}" : $"{error.GetType().Name}: {error.Message}", error);
        }

        return transient!;
    }

    /// <summary>Refuses, before producing anything, an output that no retry could ever write.</summary>
    private void CheckWritable(OutputRecord record, Message<byte[], byte[]> message)
    {
        if (Pipelines.Settings.Internal.TopicNames.Problem(record.Topic) is { } problem)
        {
            throw new OutputRejectedException(record.Topic, $"output ({Describe(record.Key)}) cannot be written: {problem}");
        }

        var size = Size(message);
        if (size > _maxMessageBytes.Value)
        {
            throw new OutputRejectedException(record.Topic, string.Create(CultureInfo.InvariantCulture,
                $"output to topic '{record.Topic}' ({Describe(record.Key)}) is {size:N0} bytes, over message.max.bytes {_maxMessageBytes.Value:N0} (actorstream.kafka.producer.properties): it can never be written"));
        }
    }

    private async ValueTask<byte[]> SerializeAsync(OutputRecord record)
    {
        try
        {
            return await _schemas.Value.SerializeAsync(record.Topic, record.Value).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutputSchemaException)
        {
            // The registry is down, slow or answers with a server error: that clears.
            throw new OutputUnavailableException(record.Topic, $"the schema registry did not answer ({ex.GetType().Name}: {ex.Message})", ex);
        }
    }

    private static long Size(Message<byte[], byte[]> message) =>
        ProduceErrors.RecordSize(message.Key?.Length ?? 0, message.Value?.Length ?? 0, message.Headers?.Select(h => (h.Key, h.GetValueBytes()?.Length ?? 0)) ?? []);

    private static string Describe(string? key) => key is null ? "no key" : $"key '{(key.Length > 100 ? key[..100] + "…" : key)}'";

    private static Headers? ToHeaders(IReadOnlyList<KeyValuePair<string, byte[]>>? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var result = new Headers();
        foreach (var (k, v) in headers)
        {
            result.Add(k, v);
        }

        return result;
    }
}
