using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Emits one sub-source per assigned partition. A sub-source completes when its partition is
/// revoked or lost (no record of it is emitted afterwards) or when the consumer stops; if it is
/// cancelled while the partition is still assigned, the partition restarts from its last
/// committed offset and a new sub-source is emitted for it.
/// </summary>
internal sealed class PartitionedSourceStage<TOut> : GraphStageWithMaterializedValue<SourceShape<(TopicPartition, Source<TOut, NotUsed>)>, IConsumerControl>
{
    private readonly ConsumerLoopOptions _options;
    private readonly Subscription _subscription;
    private readonly Func<RawRecord, TOut> _convert;
    private readonly Action<Exception>? _validate;

    public PartitionedSourceStage(ConsumerLoopOptions options, Subscription subscription, Func<RawRecord, TOut> convert, Action<Exception>? validate)
    {
        _options = options;
        _subscription = subscription;
        _convert = convert;
        _validate = validate;
        Shape = new SourceShape<(TopicPartition, Source<TOut, NotUsed>)>(Out);
    }

    public Outlet<(TopicPartition, Source<TOut, NotUsed>)> Out { get; } = new("KafkaPartitionedConsumer.out");

    public override SourceShape<(TopicPartition, Source<TOut, NotUsed>)> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("KafkaPartitionedSource");

    public override ILogicAndMaterializedValue<IConsumerControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var control = new ConsumerControl();
        return new LogicAndMaterializedValue<IConsumerControl>(new Logic(this, control), control);
    }

    private sealed class Logic : ConsumerStageLogic
    {
        private readonly PartitionedSourceStage<TOut> _stage;
        private readonly List<PartitionLease> _pending = new();

        public Logic(PartitionedSourceStage<TOut> stage, ConsumerControl control)
            : base(stage.Shape, stage._options, stage._subscription, control, commits: true, stage._validate)
        {
            _stage = stage;
            SetHandler(stage.Out, onPull: TryPush, onDownstreamFinish: _ => CompleteStage());
        }

        protected override void HandleAssigned(IReadOnlyList<PartitionLease> leases)
        {
            _pending.AddRange(leases);
            TryPush();
        }

        protected override void HandleRevoked(IReadOnlyList<PartitionLease> leases)
        {
            _pending.RemoveAll(leases.Contains);
        }

        private void TryPush()
        {
            while (IsAvailable(_stage.Out) && _pending.Count > 0)
            {
                var lease = _pending[0];
                _pending.RemoveAt(0);
                if (lease.EmissionClosed)
                {
                    continue;
                }

                var sub = Source.FromGraph(new PartitionSubSourceStage<TOut>(lease, Loop, _stage._convert, ResumeBelow));
                Push(_stage.Out, (lease.Partition, sub));
            }
        }
    }
}

/// <summary>The records of one partition lease.</summary>
internal sealed class PartitionSubSourceStage<TOut> : GraphStage<SourceShape<TOut>>
{
    private readonly PartitionLease _lease;
    private readonly ConsumerLoop _loop;
    private readonly Func<RawRecord, TOut> _convert;
    private readonly int _resumeBelow;

    public PartitionSubSourceStage(PartitionLease lease, ConsumerLoop loop, Func<RawRecord, TOut> convert, int resumeBelow)
    {
        _lease = lease;
        _loop = loop;
        _convert = convert;
        _resumeBelow = resumeBelow;
        Shape = new SourceShape<TOut>(Out);
    }

    public Outlet<TOut> Out { get; } = new("KafkaPartition.out");

    public override SourceShape<TOut> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName($"KafkaPartition-{_lease.Partition.Topic}-{_lease.Partition.Partition.Value}");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : GraphStageLogic
    {
        private readonly PartitionSubSourceStage<TOut> _stage;
        private bool _hasData;
        private bool _finished;

        public Logic(PartitionSubSourceStage<TOut> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.Out, onPull: TryPush, onDownstreamFinish: _ => Cancelled());
        }

        public override void PreStart()
        {
            var signal = GetAsyncCallback<PartitionLease>(_ =>
            {
                _hasData = true;
                TryPush();
            });
            _stage._lease.Attach(signal);
        }

        private void TryPush()
        {
            var lease = _stage._lease;
            if (lease.EmissionClosed || _stage._loop.EmissionStopped)
            {
                _finished = true;
                CompleteStage();
                return;
            }

            while (_hasData && IsAvailable(_stage.Out))
            {
                var pushed = false;
                lock (lease.EmitLock)
                {
                    if (!lease.EmissionClosed && lease.TryTake(out var record))
                    {
                        Push(_stage.Out, _stage._convert(new RawRecord(record, lease, _stage._loop)));
                        pushed = true;
                    }
                }

                if (pushed)
                {
                    if (lease.ShouldRequestResume(_stage._resumeBelow))
                    {
                        _stage._loop.RequestResume(lease);
                    }

                    return;
                }

                if (lease.EmissionClosed)
                {
                    _finished = true;
                    CompleteStage();
                    return;
                }

                _hasData = lease.RearmAndCheck();
                if (!_hasData && lease.ShouldRequestResume(_stage._resumeBelow))
                {
                    _stage._loop.RequestResume(lease);
                }
            }
        }

        private void Cancelled()
        {
            if (!_finished && !_stage._lease.EmissionClosed && !_stage._loop.EmissionStopped)
            {
                _stage._loop.RestartPartition(_stage._lease);
            }

            CompleteStage();
        }
    }
}
