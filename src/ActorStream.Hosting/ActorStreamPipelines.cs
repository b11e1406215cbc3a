using ActorStream.Pipelines;

namespace ActorStream.Hosting;

/// <summary>
/// The pipelines of the node registered by <c>AddActorStream</c>: injectable, e.g. for health
/// checks or for waiting until the node is processing.
/// </summary>
public sealed class ActorStreamPipelines
{
    private readonly TaskCompletionSource<IReadOnlyList<Pipeline>> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The running pipelines; empty until the node is an Up cluster member.</summary>
    public IReadOnlyList<Pipeline> All => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : [];

    /// <summary>Completes with the pipelines once all of them started; faults if one could not start.</summary>
    public Task<IReadOnlyList<Pipeline>> Started => _started.Task;

    /// <summary>The running pipeline named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such pipeline is running (yet).</exception>
    public Pipeline Get(string name) =>
        All.FirstOrDefault(p => p.Settings.Name == name)
        ?? throw new KeyNotFoundException($"No pipeline named '{name}' is running; running: {(All.Count == 0 ? "(none yet)" : string.Join(", ", All.Select(p => p.Settings.Name)))}");

    internal void SetStarted(IReadOnlyList<Pipeline> pipelines) => _started.TrySetResult(pipelines);

    internal void SetFailed(Exception error) => _started.TrySetException(error);
}
