using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;
using ActorStream.Kafka.Messages;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// What every source stage shares: starting the consumer thread when the stage starts, routing its
/// callbacks into the stage, and deciding when the consumer closes after the stage stopped.
/// </summary>
internal abstract class ConsumerStageLogic : GraphStageLogic, IConsumerLoopListener
{
    private readonly ConsumerLoopOptions _options;
    private readonly Subscription _subscription;
    private readonly ConsumerControl _control;
    private readonly Action<Exception>? _validate;
    private readonly bool _commits;
    private Action<IReadOnlyList<PartitionLease>>? _onAssigned;
    private Action<IReadOnlyList<PartitionLease>>? _onRevoked;
    private Action<Exception>? _onFailed;
    private Action? _onClosed;

    protected ConsumerStageLogic(Shape shape, ConsumerLoopOptions options, Subscription subscription, ConsumerControl control, bool commits, Action<Exception>? validate)
        : base(shape)
    {
        _options = options;
        _subscription = subscription;
        _control = control;
        _commits = commits;
        _validate = validate;
    }

    protected ConsumerLoop Loop { get; private set; } = null!;

    protected int ResumeBelow => Math.Max(0, _options.MaxBufferedPerPartition / 2);

    public override void PreStart()
    {
        _onAssigned = GetAsyncCallback<IReadOnlyList<PartitionLease>>(HandleAssigned);
        _onRevoked = GetAsyncCallback<IReadOnlyList<PartitionLease>>(HandleRevoked);
        _onFailed = GetAsyncCallback<Exception>(FailStage);
        _onClosed = GetAsyncCallback(CompleteStage);
        var stop = GetAsyncCallback(CompleteStage);
        var system = ((ActorMaterializer)Materializer).System;
        try
        {
            _validate?.Invoke(null!);
        }
        catch (Exception ex)
        {
            _control.BindFailed(ex);
            FailStage(ex);
            return;
        }

        Loop = new ConsumerLoop(_options, _subscription, Logging.GetLogger(system, "ActorStream.Kafka.Consumer"), system.EventStream, this);
        _control.Bind(Loop, stop);
        Loop.Start();
    }

    public override void PostStop()
    {
        _control.StageStopped();
        if (Loop is null)
        {
            return;
        }

        Loop.StopEmission();
        if (!_commits || _options.StopTimeout == TimeSpan.Zero)
        {
            _ = Loop.CloseAsync();
        }
        else
        {
            // Offsets of records still in flight may be committed until the stop timeout; an explicit
            // Shutdown/DrainAndShutdown closes earlier.
            var loop = Loop;
            _ = Task.Delay(_options.StopTimeout).ContinueWith(_ => loop.CloseAsync(), TaskScheduler.Default);
        }
    }

    void IConsumerLoopListener.OnAssigned(IReadOnlyList<PartitionLease> leases) => _onAssigned?.Invoke(leases);

    void IConsumerLoopListener.OnRevoked(IReadOnlyList<PartitionLease> leases) => _onRevoked?.Invoke(leases);

    void IConsumerLoopListener.OnFailed(Exception error) => _onFailed?.Invoke(error);

    void IConsumerLoopListener.OnClosed() => _onClosed?.Invoke();

    protected abstract void HandleAssigned(IReadOnlyList<PartitionLease> leases);

    protected abstract void HandleRevoked(IReadOnlyList<PartitionLease> leases);
}
