using ActorStream.Pipelines.Settings.Internal;

namespace ActorStream.Pipelines.Settings;

/// <summary>
/// How a record whose handling failed with a <see cref="SupervisionDecision.Retry"/> decision is
/// retried (<c>actorstream.pipelines.&lt;name&gt;.retry</c>). Immutable and validated on construction.
/// </summary>
/// <param name="MaxAttempts">Handling attempts per record including the first; &gt;= 1 (1 = never retry).</param>
/// <param name="MinBackoff">Backoff before the first retry; &gt; 0.</param>
/// <param name="MaxBackoff">Upper bound of the backoff before jitter; &gt;= <paramref name="MinBackoff"/>.</param>
/// <param name="RandomFactor">Jitter: each backoff is multiplied by a random value in [1, 1 + factor); in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
public sealed record RetrySettings(int MaxAttempts, TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor)
{
    /// <summary>Handling attempts per record including the first (1 = never retry).</summary>
    public int MaxAttempts { get; } = Validated(MaxAttempts, MinBackoff, MaxBackoff, RandomFactor);

    /// <summary>Backoff before the first retry.</summary>
    public TimeSpan MinBackoff { get; } = MinBackoff;

    /// <summary>Upper bound of the backoff before jitter is applied.</summary>
    public TimeSpan MaxBackoff { get; } = MaxBackoff;

    /// <summary>Jitter: each backoff is multiplied by a random value in [1, 1 + <see cref="RandomFactor"/>).</summary>
    public double RandomFactor { get; } = RandomFactor;

    /// <summary>
    /// The backoff before retry number <paramref name="attempt"/> (1 = the first retry, i.e. before
    /// the second handling attempt): <see cref="MinBackoff"/> * 2^(attempt - 1), capped at
    /// <see cref="MaxBackoff"/>, then multiplied by a random value in [1, 1 + <see cref="RandomFactor"/>).
    /// The result therefore lies in [capped, capped * (1 + RandomFactor)].
    /// </summary>
    /// <param name="attempt">The retry number, &gt;= 1.</param>
    /// <param name="random">Source of the jitter; <see cref="Random.Shared"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attempt"/> is less than 1.</exception>
    public TimeSpan BackoffFor(int attempt, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        double ticks = Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * Math.Pow(2, attempt - 1));
        if (RandomFactor > 0)
        {
            ticks *= 1 + ((random ?? Random.Shared).NextDouble() * RandomFactor);
        }

        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"RetrySettings(max-attempts={MaxAttempts}, min-backoff={ConfigPaths.Format(MinBackoff)}, max-backoff={ConfigPaths.Format(MaxBackoff)}, random-factor={ConfigPaths.Format(RandomFactor)})";

    /// <summary>
    /// The first problem of the given values as (key inside <c>retry</c>, problem), or null when they are valid.
    /// Shared by the constructor, the config reader and the builder so all report the same rules.
    /// </summary>
    internal static (string Key, string Problem)? Check(int maxAttempts, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
    {
        if (maxAttempts < 1)
        {
            return (ConfigPaths.MaxAttempts, $"must be an integer >= 1, got {maxAttempts}");
        }

        if (minBackoff <= TimeSpan.Zero)
        {
            return (ConfigPaths.MinBackoff, $"must be a duration > 0 (e.g. 500ms, 30s), got {ConfigPaths.Format(minBackoff)}");
        }

        if (maxBackoff <= TimeSpan.Zero)
        {
            return (ConfigPaths.MaxBackoff, $"must be a duration > 0 (e.g. 500ms, 30s), got {ConfigPaths.Format(maxBackoff)}");
        }

        if (maxBackoff < minBackoff)
        {
            return (ConfigPaths.MaxBackoff, $"must be >= min-backoff ({ConfigPaths.Format(minBackoff)}), got {ConfigPaths.Format(maxBackoff)}");
        }

        if (!double.IsFinite(randomFactor) || randomFactor < 0 || randomFactor > 1)
        {
            return (ConfigPaths.RandomFactor, $"must be a number between 0 and 1, got {ConfigPaths.Format(randomFactor)}");
        }

        return null;
    }

    private static int Validated(int maxAttempts, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
    {
        if (Check(maxAttempts, minBackoff, maxBackoff, randomFactor) is var (key, problem))
        {
            var parameter = key switch
            {
                ConfigPaths.MaxAttempts => nameof(MaxAttempts),
                ConfigPaths.MinBackoff => nameof(MinBackoff),
                ConfigPaths.MaxBackoff => nameof(MaxBackoff),
                _ => nameof(RandomFactor),
            };
            throw new ArgumentOutOfRangeException(parameter, $"retry.{key}: {problem}");
        }

        return maxAttempts;
    }
}
