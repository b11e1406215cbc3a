using ActorStream.Kafka.Dsl;

namespace ActorStream.Kafka.Internal;

/// <summary>The <see cref="IConsumerControl"/> handed out at materialization; bound to the loop when the stage starts.</summary>
internal sealed class ConsumerControl : IConsumerControl
{
    private readonly TaskCompletionSource<ConsumerLoop> _loop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? _stopStage;

    public string ConsumerId => _loop.Task.IsCompletedSuccessfully ? _loop.Task.Result.ConsumerId : "(not started)";

    public Task IsShutdown => _shutdown.Task;

    internal void Bind(ConsumerLoop loop, Action stopStage)
    {
        _stopStage = stopStage;
        _loop.TrySetResult(loop);
        loop.Closed.ContinueWith(_ => _shutdown.TrySetResult(), TaskScheduler.Default);
    }

    /// <summary>The stage failed before it could start a consumer.</summary>
    internal void BindFailed(Exception error)
    {
        _loop.TrySetException(error);
        _stopped.TrySetResult();
        _shutdown.TrySetResult();
    }

    internal void StageStopped() => _stopped.TrySetResult();

    public async Task Stop()
    {
        ConsumerLoop loop;
        try
        {
            loop = await _loop.Task.ConfigureAwait(false);
        }
        catch
        {
            return;
        }

        loop.StopEmission();
        _stopStage?.Invoke();
        await _stopped.Task.ConfigureAwait(false);
    }

    public async Task Shutdown()
    {
        await Stop().ConfigureAwait(false);
        if (_loop.Task.IsCompletedSuccessfully)
        {
            await _loop.Task.Result.CloseAsync().ConfigureAwait(false);
        }
    }

    public async Task<T> DrainAndShutdown<T>(Task<T> streamCompletion)
    {
        await Stop().ConfigureAwait(false);
        try
        {
            return await streamCompletion.ConfigureAwait(false);
        }
        finally
        {
            await Shutdown().ConfigureAwait(false);
        }
    }
}
