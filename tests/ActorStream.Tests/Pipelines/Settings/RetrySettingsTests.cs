using ActorStream.Pipelines.Settings;

namespace ActorStream.Tests.Pipelines.Settings;

public class RetrySettingsTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    [Fact]
    public void Backoff_doubles_from_min_backoff()
    {
        var retry = new RetrySettings(10, Min, Max, RandomFactor: 0);
        Assert.Equal(TimeSpan.FromMilliseconds(200), retry.BackoffFor(1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), retry.BackoffFor(2));
        Assert.Equal(TimeSpan.FromMilliseconds(800), retry.BackoffFor(3));
        Assert.Equal(TimeSpan.FromMilliseconds(6400), retry.BackoffFor(6));
    }

    [Fact]
    public void Backoff_is_capped_at_max_backoff()
    {
        var retry = new RetrySettings(10, Min, Max, RandomFactor: 0);
        Assert.Equal(Max, retry.BackoffFor(7));
        Assert.Equal(Max, retry.BackoffFor(100));
        Assert.Equal(Max, retry.BackoffFor(int.MaxValue));
    }

    [Fact]
    public void Jitter_stays_within_one_plus_random_factor_and_varies()
    {
        var retry = new RetrySettings(10, Min, Max, RandomFactor: 0.2);
        var random = new Random(42);
        foreach (var attempt in new[] { 1, 3, 20 })
        {
            var baseline = new RetrySettings(10, Min, Max, 0).BackoffFor(attempt);
            var samples = Enumerable.Range(0, 500).Select(_ => retry.BackoffFor(attempt, random)).ToList();
            Assert.All(samples, s => Assert.InRange(s, baseline, baseline * 1.2));
            Assert.True(samples.Distinct().Count() > 100, "jitter should spread the backoffs");
            Assert.True(samples.Max() > baseline * 1.15 && samples.Min() < baseline * 1.05, "jitter should use its whole range");
        }
    }

    [Fact]
    public void Same_random_seed_gives_the_same_backoffs()
    {
        var retry = new RetrySettings(5, Min, Max, 1);
        Assert.Equal(retry.BackoffFor(2, new Random(7)), retry.BackoffFor(2, new Random(7)));
        Assert.InRange(retry.BackoffFor(2), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800));
    }

    [Fact]
    public void Attempt_must_be_at_least_one()
    {
        var retry = new RetrySettings(5, Min, Max, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => retry.BackoffFor(0));
    }

    [Theory]
    [InlineData(0, 200, 10_000, 0.2, "MaxAttempts")]
    [InlineData(1, 0, 10_000, 0.2, "MinBackoff")]
    [InlineData(1, 200, 100, 0.2, "MaxBackoff")]
    [InlineData(1, 200, 10_000, -0.1, "RandomFactor")]
    [InlineData(1, 200, 10_000, 1.1, "RandomFactor")]
    [InlineData(1, 200, 10_000, double.NaN, "RandomFactor")]
    public void Invalid_values_are_refused(int maxAttempts, int minMs, int maxMs, double randomFactor, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new RetrySettings(maxAttempts, TimeSpan.FromMilliseconds(minMs), TimeSpan.FromMilliseconds(maxMs), randomFactor));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains("retry.", ex.Message);
    }

    [Fact]
    public void Equal_values_are_equal()
    {
        Assert.Equal(new RetrySettings(3, Min, Max, 0.5), new RetrySettings(3, Min, Max, 0.5));
        Assert.NotEqual(new RetrySettings(3, Min, Max, 0.5), new RetrySettings(4, Min, Max, 0.5));
        Assert.Equal("RetrySettings(max-attempts=3, min-backoff=200ms, max-backoff=10s, random-factor=0.5)", new RetrySettings(3, Min, Max, 0.5).ToString());
    }
}
