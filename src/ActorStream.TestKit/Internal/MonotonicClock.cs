using System.Diagnostics;

namespace ActorStream.TestKit.Internal;

/// <summary>
/// Converts librdkafka's <c>rd_clock()</c> microsecond timestamps into <see cref="DateTimeOffset"/>.
/// </summary>
/// <remarks>
/// <c>rd_clock()</c> is <c>CLOCK_MONOTONIC</c> on Linux and QueryPerformanceCounter on Windows (the same clocks
/// <see cref="Stopwatch"/> uses there), but wall-clock time (<c>gettimeofday</c>) on macOS. A value within a
/// day of the current Unix time is therefore taken as wall-clock, anything else as monotonic.
/// </remarks>
internal static class MonotonicClock
{
    private const long MicrosPerDay = 86_400L * 1_000_000L;

    internal static DateTimeOffset ToDateTimeOffset(long clockMicros)
    {
        var now = DateTimeOffset.UtcNow;
        var nowUnixMicros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        if (Math.Abs(nowUnixMicros - clockMicros) < MicrosPerDay)
        {
            return DateTimeOffset.UnixEpoch.AddTicks(clockMicros * 10);
        }

        var monotonicNowMicros = (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));
        var ageMicros = monotonicNowMicros - clockMicros;
        return now.AddTicks(-ageMicros * 10);
    }
}
