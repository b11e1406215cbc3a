using System.Diagnostics;
using System.Runtime;

namespace ActorStream.Benchmarks.Harness;

/// <summary>
/// What one measured run cost: wall time, whole-process CPU time (every thread, including the
/// in-process mock broker and librdkafka's threads), managed allocations, GC counts and JIT work.
/// </summary>
public sealed record Sample(long Records, TimeSpan Wall, TimeSpan Cpu, long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Jit, long JitMethods)
{
    /// <summary>Records per wall-clock second.</summary>
    public double MsgsPerSecond => Records / Wall.TotalSeconds;

    /// <summary>Process CPU microseconds per record.</summary>
    public double CpuMicrosPerMsg => Cpu.TotalMicroseconds / Records;

    /// <summary>Managed bytes allocated per record.</summary>
    public double AllocBytesPerMsg => (double)AllocatedBytes / Records;

    /// <summary>Average number of busy cores during the run (CPU time / wall time).</summary>
    public double CoresBusy => Cpu.TotalSeconds / Wall.TotalSeconds;
}

/// <summary>Start/stop probe over wall clock, process CPU time, allocations and collections.</summary>
public sealed class Probe
{
    private readonly long _startTicks;
    private readonly TimeSpan _startCpu;
    private readonly long _startAlloc;
    private readonly int _gen0;
    private readonly int _gen1;
    private readonly int _gen2;
    private readonly TimeSpan _jit;
    private readonly long _jitMethods;

    private Probe()
    {
        _gen0 = GC.CollectionCount(0);
        _gen1 = GC.CollectionCount(1);
        _gen2 = GC.CollectionCount(2);
        _startAlloc = GC.GetTotalAllocatedBytes(precise: false);
        _jit = JitInfo.GetCompilationTime();
        _jitMethods = JitInfo.GetCompiledMethodCount();
        _startCpu = ProcessCpu();
        _startTicks = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts measuring now.</summary>
    public static Probe Start() => new();

    /// <summary>Time since <see cref="Start"/>.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTicks);

    /// <summary>Ends the measurement: <paramref name="records"/> were processed since <see cref="Start"/>.</summary>
    public Sample Stop(long records)
    {
        var wall = Stopwatch.GetElapsedTime(_startTicks);
        var cpu = ProcessCpu() - _startCpu;
        var alloc = GC.GetTotalAllocatedBytes(precise: false) - _startAlloc;
        return new Sample(records, wall, cpu, alloc,
            GC.CollectionCount(0) - _gen0, GC.CollectionCount(1) - _gen1, GC.CollectionCount(2) - _gen2,
            JitInfo.GetCompilationTime() - _jit, JitInfo.GetCompiledMethodCount() - _jitMethods);
    }

    /// <summary>Full blocking, compacting collection with finalizers run, so one run's garbage is not paid by the next.</summary>
    public static void FullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.TotalProcessorTime;
    }
}
