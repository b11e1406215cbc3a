using Akka.Actor;
using ActorStream.Entities;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Internal.Hosting;

/// <summary>
/// The node's output producer: one idempotent Confluent producer (acks=all, murmur2_random, from
/// <c>actorstream.kafka.producer</c>) shared by all entities. Records of one call are handed to the
/// client in order, so per key they reach the broker in emit order. Outputs of pipelines with
/// <c>emit-format = json-schema</c> are validated and framed first (asynchronously, before any record
/// of the call is produced, so a refused value fails the whole call and nothing of it is written).
/// </summary>
internal sealed class KafkaRecordEmitter : IRecordEmitter, IDisposable
{
    private readonly Lazy<IProducer<byte[], byte[]>> _producer;
    private readonly Lazy<Internal.Schemas.OutputSchemaSerializer> _schemas;

    public KafkaRecordEmitter(ActorSystem system)
    {
        _producer = new Lazy<IProducer<byte[], byte[]>>(() => ProducerSettings<byte[], byte[]>.Create(system).CreateProducer());
        _schemas = new Lazy<Internal.Schemas.OutputSchemaSerializer>(() => new Internal.Schemas.OutputSchemaSerializer(
            Internal.Schemas.SchemaRegistryClients.Create(Internal.Schemas.SchemaRegistryClients.Url(system)
                ?? throw new InvalidOperationException($"emit-format = json-schema needs a schema registry: set {Internal.Schemas.SchemaRegistryClients.UrlPath} or {Internal.Schemas.SchemaRegistryClients.UrlVariable}"))));
        system.RegisterOnTermination(Dispose);
    }

    public async Task EmitAsync(IReadOnlyList<OutputRecord> records, CancellationToken cancellationToken = default)
    {
        var values = new byte[records.Count][];
        for (var i = 0; i < records.Count; i++)
        {
            values[i] = records[i].Format == Pipelines.Settings.EmitFormat.JsonSchema
                ? await _schemas.Value.SerializeAsync(records[i].Topic, records[i].Value).ConfigureAwait(false)
                : records[i].Value;
        }

        var producer = _producer.Value;
        var pending = new Task[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var message = new Message<byte[], byte[]>
            {
                Key = r.Key is null ? null! : System.Text.Encoding.UTF8.GetBytes(r.Key),
                Value = values[i],
                Headers = ToHeaders(r.Headers),
            };
            pending[i] = producer.ProduceAsync(r.Topic, message, cancellationToken);
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        Metrics.PipelineMetrics.RecordsEmitted.Add(records.Count);
    }

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(10));
            _producer.Value.Dispose();
        }

        if (_schemas.IsValueCreated)
        {
            _schemas.Value.Dispose();
        }
    }

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
