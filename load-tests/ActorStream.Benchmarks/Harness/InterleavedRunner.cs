namespace ActorStream.Benchmarks.Harness;

/// <summary>One contender of a comparison (e.g. the raw client, or one of our stages).</summary>
public interface IVariant
{
    /// <summary>Name in tables and JSON, e.g. <c>raw-confluent</c>.</summary>
    string Name { get; }

    /// <summary>One measured run. Measure with a <see cref="Probe"/>; put anything extra in <see cref="VariantRun.Extra"/>.</summary>
    Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken);
}

/// <summary>Result of one run of a variant.</summary>
/// <param name="Sample">What the measured window cost.</param>
/// <param name="Extra">Variant-specific values for the JSON report (numbers, booleans, strings).</param>
public sealed record VariantRun(Sample Sample, IReadOnlyDictionary<string, object> Extra);

/// <summary>Every run of one variant, warm-up included.</summary>
public sealed record VariantRuns(string Name, IReadOnlyList<VariantRun> Warmups, IReadOnlyList<VariantRun> Rounds)
{
    /// <summary>Median records per second over the rounds.</summary>
    public double MedianMsgsPerSecond => Stats.Median(Rounds.Select(r => r.Sample.MsgsPerSecond));

    /// <summary>Median CPU-µs per record over the rounds.</summary>
    public double MedianCpuMicrosPerMsg => Stats.Median(Rounds.Select(r => r.Sample.CpuMicrosPerMsg));
}

/// <summary>
/// Runs variants side by side in one process: <c>warmups</c> interleaved warm-up passes of every
/// variant (recorded, not part of the medians), then <c>rounds</c> rounds with the variants interleaved (A,B,C, A,B,C, ...), so drift of the
/// machine (other load, thermal, JIT tiering) spreads evenly over the variants. A full GC and a
/// short settle pause precede every run.
/// </summary>
public static class InterleavedRunner
{
    /// <summary>Runs the comparison; progress goes to stderr.</summary>
    public static async Task<IReadOnlyList<VariantRuns>> RunAsync(IReadOnlyList<IVariant> variants, int warmups, int rounds, TimeSpan settle, CancellationToken cancellationToken)
    {
        var warm = variants.Select(_ => new List<VariantRun>()).ToArray();
        var results = variants.Select(_ => new List<VariantRun>()).ToArray();
        var run = 0;
        for (var round = 1 - warmups; round <= rounds; round++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Probe.FullGc();
                await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
                var label = round <= 0 ? $"warm-up {round + warmups}/{warmups}" : $"round {round}/{rounds}";
                var result = await variants[v].RunOnceAsync(run++, cancellationToken).ConfigureAwait(false);
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"  {label,-13} {variants[v].Name,-20} {result.Sample.MsgsPerSecond,12:N0} msgs/s {result.Sample.CpuMicrosPerMsg,8:N2} CPU-µs/msg  wall {result.Sample.Wall.TotalSeconds,6:N2} s  cores {result.Sample.CoresBusy:N2}  jit {result.Sample.Jit.TotalMilliseconds:N0} ms/{result.Sample.JitMethods} methods"));
                if (round <= 0)
                {
                    warm[v].Add(result);
                }
                else
                {
                    results[v].Add(result);
                }
            }
        }

        return variants.Select((v, i) => new VariantRuns(v.Name, warm[i], results[i])).ToList();
    }
}

/// <summary>Small statistics helpers.</summary>
public static class Stats
{
    /// <summary>Median (mean of the two middle values for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
