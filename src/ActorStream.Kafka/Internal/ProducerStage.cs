using Akka.Event;
using Error = Confluent.Kafka.Error;
using Akka.Streams;
using Akka.Streams.Stage;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Produces each envelope's records and emits the results in input order once the broker
/// acknowledged every record of the envelope. Up to <c>parallelism</c> envelopes are in flight.
/// The stage serializes keys and values itself and hands bytes to the client strictly in input
/// order — also with asynchronous serializers, whose completion order is arbitrary — so with the
/// idempotent producer the order per partition is the input order. A failed serialization or
/// delivery fails the stage; its pass-through (e.g. an offset) is then never emitted, so nothing is
/// acknowledged that was not written.
/// </summary>
internal sealed class ProducerStage<TKey, TValue, TPass> : GraphStage<FlowShape<ProducerEnvelope<TKey, TValue, TPass>, ProducerResult<TKey, TValue, TPass>>>
{
    private readonly ProducerSettings<TKey, TValue> _settings;
    private readonly IProducer<TKey, TValue>? _shared;

    public ProducerStage(ProducerSettings<TKey, TValue> settings, IProducer<TKey, TValue>? shared)
    {
        _settings = settings;
        _shared = shared;
        Shape = new FlowShape<ProducerEnvelope<TKey, TValue, TPass>, ProducerResult<TKey, TValue, TPass>>(In, Out);
    }

    public Inlet<ProducerEnvelope<TKey, TValue, TPass>> In { get; } = new("KafkaProducer.in");

    public Outlet<ProducerResult<TKey, TValue, TPass>> Out { get; } = new("KafkaProducer.out");

    public override FlowShape<ProducerEnvelope<TKey, TValue, TPass>, ProducerResult<TKey, TValue, TPass>> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("KafkaProducer");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Entry
    {
        public Entry(ProducerEnvelope<TKey, TValue, TPass> envelope, Task<Serialized[]> serialization)
        {
            Envelope = envelope;
            Serialization = serialization;
        }

        public ProducerEnvelope<TKey, TValue, TPass> Envelope { get; }

        public Task<Serialized[]> Serialization { get; }

        public Task<DeliveryResult<TKey, TValue>[]>? Delivery { get; set; }
    }

    private readonly record struct Serialized(ProducerRecord<TKey, TValue> Record, byte[]? Key, byte[]? Value);

    private sealed class Logic : GraphStageLogic
    {
        private readonly ProducerStage<TKey, TValue, TPass> _stage;
        private readonly Queue<Entry> _entries = new();
        private readonly Queue<Entry> _toProduce = new();
        private IProducer<byte[], byte[]>? _producer;
        private Encoder<TKey>? _keys;
        private Encoder<TValue>? _values;
        private Action? _wakeup;
        private ILoggingAdapter? _log;
        private int _wakeupPending;

        public Logic(ProducerStage<TKey, TValue, TPass> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: () =>
            {
                if (_entries.Count == 0)
                {
                    CompleteStage();
                }
            });
            SetHandler(stage.Out, onPull: Progress);
        }

        public override void PreStart()
        {
            _log = Logging.GetLogger(((ActorMaterializer)Materializer).System, "ActorStream.Kafka.Producer");
            _wakeup = GetAsyncCallback(Progress);
            try
            {
                _stage._settings.Validate();
                _keys = _stage._settings.KeyEncoder!;
                _values = _stage._settings.ValueEncoder!;

                // A shared typed producer lends its native handle; this stage's byte-level view of it is
                // disposed with the stage, the handle stays with its owner.
                _producer = _stage._shared is { } shared
                    ? new DependentProducerBuilder<byte[], byte[]>(shared.Handle).Build()
                    : _stage._settings.CreateByteProducer();
                Pull(_stage.In);
            }
            catch (Exception ex)
            {
                FailStage(ex);
            }
        }

        public override void PostStop()
        {
            if (_producer is null)
            {
                return;
            }

            try
            {
                if (_stage._shared is null)
                {
                    var left = _producer.Flush(_stage._settings.CloseTimeout);
                    if (left > 0)
                    {
                        _log?.Warning("Producer closed with {0} record(s) undelivered after {1}", left, _stage._settings.CloseTimeout);
                    }
                }
            }
            finally
            {
                _producer.Dispose();
            }
        }

        private void OnPush()
        {
            var envelope = Grab(_stage.In);
            var entry = new Entry(envelope, Serialize(envelope.Records));
            _entries.Enqueue(entry);
            _toProduce.Enqueue(entry);
            Progress();
        }

        /// <summary>Hands serialized records to the client in input order, then emits completed results in input order.</summary>
        private void Progress()
        {
            Volatile.Write(ref _wakeupPending, 0);
            while (_toProduce.Count > 0 && _toProduce.Peek().Serialization.IsCompleted)
            {
                var entry = _toProduce.Dequeue();
                if (!entry.Serialization.IsCompletedSuccessfully)
                {
                    FailStage(entry.Serialization.Exception?.GetBaseException() ?? new OperationCanceledException("Serialization was cancelled"));
                    return;
                }

                entry.Delivery = Produce(entry.Serialization.Result);
                WakeOn(entry.Delivery);
            }

            if (_toProduce.Count > 0)
            {
                WakeOn(_toProduce.Peek().Serialization);
            }

            while (_entries.Count > 0 && _entries.Peek().Delivery is { IsCompleted: true } delivery)
            {
                if (!delivery.IsCompletedSuccessfully)
                {
                    FailStage(delivery.Exception?.GetBaseException() ?? new OperationCanceledException("Produce was cancelled"));
                    return;
                }

                if (!IsAvailable(_stage.Out))
                {
                    break;
                }

                var head = _entries.Dequeue();
                KafkaMetrics.RecordsProduced.Add(delivery.Result.Length);
                Push(_stage.Out, new ProducerResult<TKey, TValue, TPass>(delivery.Result, head.Envelope.PassThrough));
            }

            if (_entries.Count == 0 && IsClosed(_stage.In))
            {
                CompleteStage();
                return;
            }

            if (_entries.Count < _stage._settings.Parallelism && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private void WakeOn(Task task)
        {
            if (task.IsCompleted)
            {
                return;
            }

            // Deliveries complete in bursts; one wake-up of the stage handles them all.
            task.ContinueWith(
                _ =>
                {
                    if (Interlocked.Exchange(ref _wakeupPending, 1) == 0)
                    {
                        _wakeup!();
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        private Task<Serialized[]> Serialize(IReadOnlyList<ProducerRecord<TKey, TValue>> records)
        {
            if (records.Count == 0)
            {
                return Task.FromResult(Array.Empty<Serialized>());
            }

            if (!_keys!.IsAsync && !_values!.IsAsync)
            {
                try
                {
                    var result = new Serialized[records.Count];
                    for (var i = 0; i < records.Count; i++)
                    {
                        var r = records[i];
                        result[i] = new Serialized(
                            r,
                            _keys.Encode(r.Key, new SerializationContext(MessageComponentType.Key, r.Topic, r.Headers)),
                            _values.Encode(r.Value, new SerializationContext(MessageComponentType.Value, r.Topic, r.Headers)));
                    }

                    return Task.FromResult(result);
                }
                catch (Exception ex)
                {
                    return Task.FromException<Serialized[]>(new ProduceException<TKey, TValue>(
                        new Error(ErrorCode.Local_KeySerialization, $"Serialization for {records[0].Topic} failed: {ex.Message}"), Typed(records[0], null), ex));
                }
            }

            return SerializeAsync(records);
        }

        private async Task<Serialized[]> SerializeAsync(IReadOnlyList<ProducerRecord<TKey, TValue>> records)
        {
            var result = new Serialized[records.Count];
            for (var i = 0; i < records.Count; i++)
            {
                var r = records[i];
                try
                {
                    var key = await _keys!.EncodeAsync(r.Key, new SerializationContext(MessageComponentType.Key, r.Topic, r.Headers)).ConfigureAwait(false);
                    var value = await _values!.EncodeAsync(r.Value, new SerializationContext(MessageComponentType.Value, r.Topic, r.Headers)).ConfigureAwait(false);
                    result[i] = new Serialized(r, key, value);
                }
                catch (Exception ex)
                {
                    throw new ProduceException<TKey, TValue>(
                        new Error(ErrorCode.Local_ValueSerialization, $"Serialization for {r.Topic} failed: {ex.Message}"), Typed(r, null), ex);
                }
            }

            return result;
        }

        private Task<DeliveryResult<TKey, TValue>[]> Produce(Serialized[] records)
        {
            if (records.Length == 0)
            {
                return Task.FromResult(Array.Empty<DeliveryResult<TKey, TValue>>());
            }

            if (records.Length == 1)
            {
                return One(records[0]);
            }

            var tasks = new Task<DeliveryResult<TKey, TValue>>[records.Length];
            for (var i = 0; i < records.Length; i++)
            {
                tasks[i] = ProduceOne(records[i]);
            }

            return Task.WhenAll(tasks);
        }

        private async Task<DeliveryResult<TKey, TValue>[]> One(Serialized record) => [await ProduceOne(record).ConfigureAwait(false)];

        private async Task<DeliveryResult<TKey, TValue>> ProduceOne(Serialized s)
        {
            var message = new Message<byte[], byte[]> { Key = s.Key!, Value = s.Value!, Headers = s.Record.Headers };
            try
            {
                var delivery = s.Record.ExplicitPartition is { } tp
                    ? await _producer!.ProduceAsync(tp, message).ConfigureAwait(false)
                    : await _producer!.ProduceAsync(s.Record.Topic, message).ConfigureAwait(false);
                return Typed(s.Record, delivery);
            }
            catch (ProduceException<byte[], byte[]> ex)
            {
                throw new ProduceException<TKey, TValue>(ex.Error, Typed(s.Record, ex.DeliveryResult), ex);
            }
        }

        private static DeliveryResult<TKey, TValue> Typed(ProducerRecord<TKey, TValue> record, DeliveryResult<byte[], byte[]>? delivery) => new()
        {
            TopicPartitionOffset = delivery?.TopicPartitionOffset ?? new TopicPartitionOffset(record.Topic, record.Partition ?? Partition.Any, Offset.Unset),
            Status = delivery?.Status ?? PersistenceStatus.NotPersisted,
            Message = new Message<TKey, TValue>
            {
                Key = record.Key,
                Value = record.Value,
                Headers = record.Headers,
                Timestamp = delivery?.Timestamp ?? default,
            },
        };
    }
}
