using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Produces each envelope's records and emits the results in input order once the broker
/// acknowledged every record of the envelope. Up to <c>parallelism</c> envelopes are in flight;
/// records are handed to the client in input order, so with the idempotent producer their order per
/// partition is kept. A failed delivery fails the stage (its pass-through, e.g. an offset, is then
/// never acknowledged: nothing is lost).
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

    private sealed class Logic : GraphStageLogic
    {
        private readonly ProducerStage<TKey, TValue, TPass> _stage;
        private readonly Queue<InFlight> _inFlight = new();
        private IProducer<TKey, TValue>? _producer;
        private Action? _completed;
        private ILoggingAdapter? _log;
        private int _wakeupPending;

        public Logic(ProducerStage<TKey, TValue, TPass> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: () =>
            {
                if (_inFlight.Count == 0)
                {
                    CompleteStage();
                }
            });
            SetHandler(stage.Out, onPull: () =>
            {
                EmitCompleted();
                PullIfRoom();
            });
        }

        public override void PreStart()
        {
            _log = Logging.GetLogger(((ActorMaterializer)Materializer).System, "ActorStream.Kafka.Producer");
            _completed = GetAsyncCallback(EmitCompleted);
            try
            {
                _producer = _stage._shared ?? _stage._settings.CreateProducer();
            }
            catch (Exception ex)
            {
                FailStage(ex);
            }
        }

        public override void PostStop()
        {
            if (_stage._shared is null && _producer is not null)
            {
                try
                {
                    var left = _producer.Flush(_stage._settings.CloseTimeout);
                    if (left > 0)
                    {
                        _log?.Warning("Producer closed with {0} record(s) undelivered after {1}", left, _stage._settings.CloseTimeout);
                    }
                }
                finally
                {
                    _producer.Dispose();
                }
            }
        }

        private void OnPush()
        {
            var envelope = Grab(_stage.In);
            var records = envelope.Records;
            Task<DeliveryResult<TKey, TValue>[]> task;
            if (records.Count == 0)
            {
                task = Task.FromResult(Array.Empty<DeliveryResult<TKey, TValue>>());
            }
            else if (records.Count == 1)
            {
                task = Single(records[0]);
            }
            else
            {
                // Started one after the other so the client receives them in order.
                var tasks = new Task<DeliveryResult<TKey, TValue>>[records.Count];
                for (var i = 0; i < records.Count; i++)
                {
                    tasks[i] = Produce(records[i]);
                }

                task = Task.WhenAll(tasks);
            }

            _inFlight.Enqueue(new InFlight(envelope, task));
            if (!task.IsCompleted)
            {
                // Many deliveries complete in bursts; one wake-up of the stage drains them all.
                task.ContinueWith(_ =>
                {
                    if (Interlocked.Exchange(ref _wakeupPending, 1) == 0)
                    {
                        _completed!();
                    }
                }, TaskContinuationOptions.ExecuteSynchronously);
            }

            EmitCompleted();
            PullIfRoom();
        }

        private async Task<DeliveryResult<TKey, TValue>[]> Single(ProducerRecord<TKey, TValue> record) => [await Produce(record).ConfigureAwait(false)];

        private Task<DeliveryResult<TKey, TValue>> Produce(ProducerRecord<TKey, TValue> record) =>
            record.ExplicitPartition is { } tp
                ? _producer!.ProduceAsync(tp, record.ToMessage())
                : _producer!.ProduceAsync(record.Topic, record.ToMessage());

        private void EmitCompleted()
        {
            Volatile.Write(ref _wakeupPending, 0);
            while (_inFlight.Count > 0 && _inFlight.Peek().Task.IsCompleted)
            {
                var head = _inFlight.Peek();
                if (head.Task.IsFaulted)
                {
                    FailStage(head.Task.Exception!.GetBaseException());
                    return;
                }

                if (head.Task.IsCanceled)
                {
                    FailStage(new OperationCanceledException("Produce was cancelled"));
                    return;
                }

                if (!IsAvailable(_stage.Out))
                {
                    return;
                }

                _inFlight.Dequeue();
                KafkaMetrics.RecordsProduced.Add(head.Task.Result.Length);
                Push(_stage.Out, new ProducerResult<TKey, TValue, TPass>(head.Task.Result, head.Envelope.PassThrough));
            }

            if (_inFlight.Count == 0 && IsClosed(_stage.In))
            {
                CompleteStage();
            }
            else
            {
                PullIfRoom();
            }
        }

        private void PullIfRoom()
        {
            if (_inFlight.Count < _stage._settings.Parallelism && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private readonly record struct InFlight(ProducerEnvelope<TKey, TValue, TPass> Envelope, Task<DeliveryResult<TKey, TValue>[]> Task);
    }
}
