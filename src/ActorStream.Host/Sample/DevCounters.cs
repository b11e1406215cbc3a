namespace ActorStream.Host.Sample;

/// <summary>What the sample traffic produced; the rest of the progress line is read from the brokers.</summary>
internal sealed class DevCounters
{
    private long _produced;

    public long Produced => Interlocked.Read(ref _produced);

    public void RecordProduced() => Interlocked.Increment(ref _produced);
}
