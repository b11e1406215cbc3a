using Akka.Streams;
using Akka.Streams.Stage;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// One outlet for all assigned partitions (plain and committable sources). Partitions are served
/// round-robin, one record per pull, so a busy partition cannot starve the others.
/// </summary>
internal sealed class ConsumerSourceStage<TOut> : GraphStageWithMaterializedValue<SourceShape<TOut>, IConsumerControl>
{
    private readonly ConsumerLoopOptions _options;
    private readonly Subscription _subscription;
    private readonly Func<RawRecord, TOut> _convert;
    private readonly bool _commits;
    private readonly Action<Exception>? _validate;

    public ConsumerSourceStage(ConsumerLoopOptions options, Subscription subscription, Func<RawRecord, TOut> convert, bool commits, Action<Exception>? validate)
    {
        _options = options;
        _subscription = subscription;
        _convert = convert;
        _commits = commits;
        _validate = validate;
        Shape = new SourceShape<TOut>(Out);
    }

    public Outlet<TOut> Out { get; } = new("KafkaConsumer.out");

    public override SourceShape<TOut> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("KafkaConsumerSource");

    public override ILogicAndMaterializedValue<IConsumerControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var control = new ConsumerControl();
        return new LogicAndMaterializedValue<IConsumerControl>(new Logic(this, control), control);
    }

    private sealed class Logic : ConsumerStageLogic
    {
        private readonly ConsumerSourceStage<TOut> _stage;
        private readonly Queue<PartitionLease> _ready = new();
        private readonly HashSet<PartitionLease> _isReady = new();
        private Action<PartitionLease>? _signal;

        public Logic(ConsumerSourceStage<TOut> stage, ConsumerControl control)
            : base(stage.Shape, stage._options, stage._subscription, control, stage._commits, stage._validate)
        {
            _stage = stage;
            SetHandler(stage.Out, onPull: TryPush, onDownstreamFinish: _ => CompleteStage());
        }

        public override void PreStart()
        {
            var onSignal = GetAsyncCallback<PartitionLease>(OnSignal);
            _signal = onSignal;
            base.PreStart();
        }

        protected override void HandleAssigned(IReadOnlyList<PartitionLease> leases)
        {
            foreach (var lease in leases)
            {
                lease.Attach(_signal!);
            }
        }

        protected override void HandleRevoked(IReadOnlyList<PartitionLease> leases)
        {
            // Closed leases are dropped lazily from the ready queue: they refuse to emit.
        }

        private void OnSignal(PartitionLease lease)
        {
            if (!lease.EmissionClosed && _isReady.Add(lease))
            {
                _ready.Enqueue(lease);
            }

            TryPush();
        }

        private void TryPush()
        {
            while (IsAvailable(_stage.Out) && _ready.Count > 0)
            {
                var lease = _ready.Dequeue();
                var pushed = false;
                lock (lease.EmitLock)
                {
                    if (!lease.EmissionClosed && lease.TryTake(out var record))
                    {
                        Push(_stage.Out, _stage._convert(new RawRecord(record, lease, Loop)));
                        pushed = true;
                    }
                }

                if (pushed)
                {
                    _ready.Enqueue(lease);
                    if (lease.ShouldRequestResume(ResumeBelow))
                    {
                        Loop.RequestResume(lease);
                    }

                    return;
                }

                if (!lease.EmissionClosed && lease.RearmAndCheck())
                {
                    _ready.Enqueue(lease);
                    continue;
                }

                if (lease.ShouldRequestResume(ResumeBelow))
                {
                    Loop.RequestResume(lease);
                }

                _isReady.Remove(lease);
            }
        }
    }
}
