using System.Collections.Concurrent;
using Akka.Actor;

namespace ActorStream.Internal.Streams;

/// <summary>
/// A pipeline's pause switch, shared by all its partition streams on this node. While closed, a
/// <see cref="PartitionDispatchStage"/> stops pulling records (the connector then stops fetching
/// through its own back-pressure, and the consumer stays in its group); records already taken
/// finish and are committed as usual. Opening it tells every registered stage actor to pull again,
/// so a stage never polls the gate.
/// </summary>
internal sealed class IntakeGate
{
    private readonly ConcurrentDictionary<IActorRef, byte> _stages = new();
    private int _paused;

    /// <summary>True while intake is paused.</summary>
    public bool IsPaused => Volatile.Read(ref _paused) == 1;

    /// <summary>Pauses intake; false when it already was paused.</summary>
    public bool Pause()
    {
        return Interlocked.Exchange(ref _paused, 1) == 0;
    }

    /// <summary>Resumes intake and wakes every registered stage; false when it was not paused.</summary>
    public bool Resume()
    {
        // Cleared before the stages are told: a stage registering concurrently either is told or
        // reads the cleared flag on its first pull.
        var was = Interlocked.Exchange(ref _paused, 0) == 1;
        foreach (var stage in _stages.Keys)
        {
            stage.Tell(IntakeResumed.Instance);
        }

        return was;
    }

    /// <summary>A partition stage starts: it hears <see cref="IntakeResumed"/> from now on.</summary>
    public void Register(IActorRef stage) => _stages.TryAdd(stage, 0);

    /// <summary>A partition stage stopped.</summary>
    public void Unregister(IActorRef stage) => _stages.TryRemove(stage, out _);
}

/// <summary>Told to a partition stage's actor when its pipeline's intake resumes: pull again.</summary>
internal sealed class IntakeResumed
{
    public static readonly IntakeResumed Instance = new();

    private IntakeResumed()
    {
    }
}
