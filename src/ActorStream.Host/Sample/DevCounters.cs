namespace ActorStream.Host.Sample;

/// <summary>Counters the dev progress line reads; updated from stream stages.</summary>
internal sealed class DevCounters
{
    private long _produced;
    private long _processed;
    private long _deadLettered;
    private long _duplicates;

    public long Produced => Interlocked.Read(ref _produced);

    public long Processed => Interlocked.Read(ref _processed);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public void RecordProduced() => Interlocked.Increment(ref _produced);

    public void RecordProcessed(bool deadLettered)
    {
        Interlocked.Increment(ref _processed);
        if (deadLettered)
        {
            Interlocked.Increment(ref _deadLettered);
        }
    }

    public void RecordDuplicate() => Interlocked.Increment(ref _duplicates);
}
