using Akka.Streams;
using Akka.Streams.Stage;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Collects committables into batches: emits when <c>max-batch</c> offsets were collected, when
/// <c>max-interval</c> passed since the batch's first offset, when a consumer revokes partitions
/// (flush), or when upstream completes. Never back-pressures upstream while a commit is in flight:
/// a batch keeps one offset per partition, so its size is bounded by the partition count.
/// </summary>
internal sealed class CommitCollectorStage : GraphStage<FlowShape<ICommittable, CommittableOffsetBatch>>
{
    private readonly CommitterSettings _settings;

    public CommitCollectorStage(CommitterSettings settings)
    {
        _settings = settings;
        Shape = new FlowShape<ICommittable, CommittableOffsetBatch>(In, Out);
    }

    public Inlet<ICommittable> In { get; } = new("CommitCollector.in");

    public Outlet<CommittableOffsetBatch> Out { get; } = new("CommitCollector.out");

    public override FlowShape<ICommittable, CommittableOffsetBatch> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("KafkaCommitCollector");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : TimerGraphStageLogic, ICommitFlusher
    {
        private const string IntervalTimer = "max-interval";

        private readonly CommitCollectorStage _stage;
        private readonly HashSet<ICommitTarget> _targets = new();
        private Dictionary<(ICommitTarget, TopicPartition), PendingOffset> _offsets = new();
        private long _count;
        private bool _due;
        private List<TaskCompletionSource>? _waiters;
        private Action<TaskCompletionSource>? _flush;
        private volatile bool _stopped;

        public Logic(CommitCollectorStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish);
            SetHandler(stage.Out, onPull: TryEmit);
        }

        public override void PreStart()
        {
            _flush = GetAsyncCallback<TaskCompletionSource>(OnFlush);
            Pull(_stage.In);
        }

        public override void PostStop()
        {
            _stopped = true;
            foreach (var target in _targets)
            {
                target.UnregisterFlusher(this);
            }

            _waiters?.ForEach(w => w.TrySetResult());
        }

        public Task FlushAsync(IReadOnlyCollection<TopicPartition> partitions)
        {
            if (_stopped)
            {
                return Task.CompletedTask;
            }

            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flush?.Invoke(tcs);
            return tcs.Task;
        }

        protected override void OnTimer(object timerKey)
        {
            _due = true;
            TryEmit();
        }

        private void OnPush()
        {
            var committable = Grab(_stage.In);
            if (_count == 0)
            {
                ScheduleOnce(IntervalTimer, _stage._settings.MaxInterval);
            }

            CommittableOffsetBatch.Merge(_offsets, committable);
            _count += committable.BatchSize;
            switch (committable)
            {
                case CommittableOffset single:
                    Register(single.Target);
                    break;
                case CommittableOffsetBatch batch:
                    foreach (var target in batch.Targets)
                    {
                        Register(target);
                    }

                    break;
            }

            if (_count >= _stage._settings.MaxBatch)
            {
                _due = true;
            }

            TryEmit();
            Pull(_stage.In);
        }

        private void Register(ICommitTarget target)
        {
            if (_targets.Add(target))
            {
                target.RegisterFlusher(this);
            }
        }

        private void OnFlush(TaskCompletionSource waiter)
        {
            if (_offsets.Count == 0)
            {
                waiter.TrySetResult();
                return;
            }

            (_waiters ??= new()).Add(waiter);
            _due = true;
            TryEmit();
        }

        private void OnUpstreamFinish()
        {
            if (_offsets.Count == 0)
            {
                CompleteStage();
                return;
            }

            _due = true;
            TryEmit();
        }

        private void TryEmit()
        {
            if (!_due || !IsAvailable(_stage.Out))
            {
                return;
            }

            _due = false;
            if (_offsets.Count > 0)
            {
                CancelTimer(IntervalTimer);
                var batch = CommittableOffsetBatch.FromCollected(_offsets, _count);
                batch.FlushWaiters = _waiters;
                _offsets = new();
                _count = 0;
                _waiters = null;
                Push(_stage.Out, batch);
            }

            if (IsClosed(_stage.In))
            {
                CompleteStage();
            }
        }
    }
}
