namespace ActorStream.Tests.Support;

/// <summary>A clock that only moves when told to; timestamps are milliseconds.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _now;

    public ManualTimeProvider(long startMilliseconds = 1_000)
    {
        _now = startMilliseconds;
    }

    public override long TimestampFrequency => 1_000;

    public override long GetTimestamp() => _now;

    public void Advance(TimeSpan by) => _now += (long)by.TotalMilliseconds;
}
