using ActorStream.Monitoring;
using ActorStream.Monitoring.Internal;

namespace ActorStream.Tests.Monitoring;

public class LagTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    private static readonly MonitoringSettings Settings = new()
    {
        LagInterval = TimeSpan.FromSeconds(5),
        StallWindow = TimeSpan.FromSeconds(30),
        StoppedAfter = TimeSpan.FromSeconds(90),
        LagAboveThreshold = 100,
        LagAboveFor = TimeSpan.FromSeconds(20),
        LagGrowingFor = TimeSpan.FromSeconds(30),
        DlqPerMinuteAbove = 10,
    };

    private static PartitionLag Observe(LagTracker tracker, int second, long committed, long high) =>
        tracker.Observe(T0.AddSeconds(second), [new PartitionOffsets("t", 0, committed, high)], 0).Partitions.Single();

    [Fact]
    public void A_partition_that_is_caught_up_is_ok_however_long_its_offset_stands_still()
    {
        var tracker = new LagTracker(Settings, "p", "g");
        for (var s = 0; s <= 300; s += 5)
        {
            var lag = Observe(tracker, s, 50, 50);
            Assert.Equal(PartitionStatus.Ok, lag.Status);
            Assert.Equal(0, lag.Lag);
        }
    }

    [Fact]
    public void A_committed_offset_standing_still_with_lag_stalls_then_stops()
    {
        var tracker = new LagTracker(Settings, "p", "g");
        Assert.Equal(PartitionStatus.Ok, Observe(tracker, 0, 10, 20).Status);
        Assert.Equal(PartitionStatus.Ok, Observe(tracker, 25, 10, 20).Status);
        var stalled = Observe(tracker, 30, 10, 20);
        Assert.Equal(PartitionStatus.Stalled, stalled.Status);
        Assert.Equal(TimeSpan.FromSeconds(30), stalled.CommittedUnchangedFor);
        Assert.Equal(PartitionStatus.Stalled, Observe(tracker, 85, 10, 20).Status);
        Assert.Equal(PartitionStatus.Stopped, Observe(tracker, 90, 10, 20).Status);

        // Progress clears it at once.
        Assert.Equal(PartitionStatus.Ok, Observe(tracker, 95, 11, 20).Status);
    }

    [Fact]
    public void Lag_that_grows_over_the_whole_window_while_commits_move_is_a_warning()
    {
        var tracker = new LagTracker(Settings, "p", "g");
        var statuses = new List<PartitionStatus>();
        for (var s = 0; s <= 40; s += 5)
        {
            statuses.Add(Observe(tracker, s, committed: s, high: 10 + (3 * s)).Status);
        }

        Assert.All(statuses.Take(6), st => Assert.Equal(PartitionStatus.Ok, st)); // window not covered yet (0..25 s)
        Assert.Equal(PartitionStatus.Warn, statuses[^1]);

        // One dip in the window and it is not "growing" any more.
        Assert.Equal(PartitionStatus.Ok, Observe(tracker, 45, committed: 120, high: 121).Status);
    }

    [Fact]
    public void Growing_needs_a_sample_old_enough_and_no_fall()
    {
        var series = new List<(DateTimeOffset, long)> { (T0, 5), (T0.AddSeconds(10), 6), (T0.AddSeconds(20), 6), (T0.AddSeconds(30), 9) };
        Assert.True(LagTracker.Growing(series, T0.AddSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.False(LagTracker.Growing(series, T0.AddSeconds(30), TimeSpan.FromSeconds(31)));
        series[2] = (T0.AddSeconds(20), 4);
        Assert.False(LagTracker.Growing(series, T0.AddSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.False(LagTracker.Growing([(T0, 5), (T0.AddSeconds(30), 5)], T0.AddSeconds(30), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void The_dead_letter_rate_is_per_minute_between_readings()
    {
        var tracker = new LagTracker(Settings, "p", "g");
        Assert.Equal(0, tracker.Observe(T0, [], 100).DeadLettersPerMinute);
        Assert.Equal(120, tracker.Observe(T0.AddSeconds(30), [], 160).DeadLettersPerMinute);
    }
}
