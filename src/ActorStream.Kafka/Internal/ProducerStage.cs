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
/// acknowledged that was not written. Except a fatal producer error (the idempotent producer lost
/// its sequence, or was fenced): the stage's own client is then replaced (<see cref="RenewableProducer"/>),
/// and once every record sent through the old one has its delivery report, the ones it did not
/// deliver are sent again through the new one in input order, before anything newer — never
/// reported delivered. A shared client is its owner's to replace: with one, a fatal error fails the stage.
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

        /// <summary>One delivery per record, once handed to the client.</summary>
        public Task<DeliveryResult<TKey, TValue>>[]? Deliveries { get; set; }

        /// <summary>The client generation the failed-or-pending deliveries were produced on (own client only).</summary>
        public RenewableProducer.Generation? Generation { get; set; }

        public bool IsDelivered => Deliveries is not null && Deliveries.All(d => d.IsCompleted);
    }

    private readonly record struct Serialized(ProducerRecord<TKey, TValue> Record, byte[]? Key, byte[]? Value);

    private sealed class Logic : GraphStageLogic
    {
        private readonly ProducerStage<TKey, TValue, TPass> _stage;
        private readonly Queue<Entry> _entries = new();
        private readonly Queue<Entry> _toProduce = new();
        private IProducer<byte[], byte[]>? _shared;
        private RenewableProducer? _own;
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
                if (_stage._shared is { } shared)
                {
                    _shared = new DependentProducerBuilder<byte[], byte[]>(shared.Handle).Build();
                }
                else
                {
                    _own = _stage._settings.CreateRenewableProducer(error =>
                        _log?.Warning("Producer hit a fatal error ({0}: {1}); replacing it and sending its unacknowledged records again", error.Code, error.Reason));

                    // Built now, so that settings librdkafka refuses fail the stage at its start.
                    _ = _own.Current;
                }

                Pull(_stage.In);
            }
            catch (Exception ex)
            {
                FailStage(ex);
            }
        }

        public override void PostStop()
        {
            _shared?.Dispose();
            if (_own is null)
            {
                return;
            }

            var left = _own.Close();
            if (left > 0)
            {
                _log?.Warning("Producer closed with {0} record(s) undelivered after {1}", left, _stage._settings.CloseTimeout);
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
            if (!Resend())
            {
                return;
            }

            while (_toProduce.Count > 0 && _toProduce.Peek().Serialization.IsCompleted)
            {
                var entry = _toProduce.Dequeue();
                if (!entry.Serialization.IsCompletedSuccessfully)
                {
                    FailStage(entry.Serialization.Exception?.GetBaseException() ?? new OperationCanceledException("Serialization was cancelled"));
                    return;
                }

                Produce(entry, entry.Serialization.Result, resendOnly: false);
            }

            if (_toProduce.Count > 0)
            {
                WakeOn(_toProduce.Peek().Serialization);
            }

            while (_entries.Count > 0 && _entries.Peek().IsDelivered)
            {
                var head = _entries.Peek();
                var failed = head.Deliveries!.FirstOrDefault(d => !d.IsCompletedSuccessfully);
                if (failed is not null)
                {
                    var error = failed.Exception?.GetBaseException() ?? new OperationCanceledException("Produce was cancelled");
                    if (_own is not null && head.Generation is { } generation && _own.IsFatal(generation, error))
                    {
                        // The client is being replaced: Resend sends this (and every later record of
                        // that client) again once all of them have their delivery reports.
                        Progress();
                        return;
                    }

                    FailStage(error);
                    return;
                }

                if (!IsAvailable(_stage.Out))
                {
                    break;
                }

                _entries.Dequeue();
                var results = head.Deliveries!.Select(d => d.Result).ToArray();
                KafkaMetrics.RecordsProduced.Add(results.Length);
                Push(_stage.Out, new ProducerResult<TKey, TValue, TPass>(results, head.Envelope.PassThrough));
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

        /// <summary>
        /// After the own client was replaced: waits until every record produced through a retired
        /// client has its delivery report, then sends the failed ones again through the current
        /// client, oldest first, before anything new is produced (so per partition the input order
        /// holds). Returns false while it is still waiting.
        /// </summary>
        private bool Resend()
        {
            if (_own is null)
            {
                return true;
            }

            var stale = _entries.Where(e => e.Generation is { Retired: true }).ToList();
            if (stale.Count == 0)
            {
                return true;
            }

            var waiting = stale.SelectMany(e => e.Deliveries!).FirstOrDefault(d => !d.IsCompleted);
            if (waiting is not null)
            {
                WakeOn(waiting);
                return false;
            }

            foreach (var entry in stale)
            {
                Produce(entry, entry.Serialization.Result, resendOnly: true);
            }

            return true;
        }

        /// <summary>Hands an entry's records to the client (with <paramref name="resendOnly"/>: those whose delivery failed).</summary>
        private void Produce(Entry entry, Serialized[] records, bool resendOnly)
        {
            RenewableProducer.Generation? generation = null;
            IProducer<byte[], byte[]> producer;
            if (_own is not null)
            {
                generation = _own.Current;
                producer = generation.Producer;
            }
            else
            {
                producer = _shared!;
            }

            entry.Deliveries ??= new Task<DeliveryResult<TKey, TValue>>[records.Length];
            for (var i = 0; i < records.Length; i++)
            {
                if (!resendOnly || !entry.Deliveries[i].IsCompletedSuccessfully)
                {
                    entry.Deliveries[i] = ProduceOne(producer, records[i]);
                    WakeOn(entry.Deliveries[i]);
                }
            }

            entry.Generation = generation;
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

        private static async Task<DeliveryResult<TKey, TValue>> ProduceOne(IProducer<byte[], byte[]> producer, Serialized s)
        {
            var message = new Message<byte[], byte[]> { Key = s.Key!, Value = s.Value!, Headers = s.Record.Headers };
            try
            {
                var delivery = s.Record.ExplicitPartition is { } tp
                    ? await producer.ProduceAsync(tp, message).ConfigureAwait(false)
                    : await producer.ProduceAsync(s.Record.Topic, message).ConfigureAwait(false);
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
