using ActorStream.Monitoring;
using ActorStream.Monitoring.Internal;

namespace ActorStream.Tests.Monitoring;

public class AlertEvaluatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    private static MonitoringSettings Settings(Func<MonitoringSettings, MonitoringSettings>? change = null)
    {
        var settings = new MonitoringSettings
        {
            LagInterval = TimeSpan.FromSeconds(5),
            StallWindow = TimeSpan.FromSeconds(30),
            StoppedAfter = TimeSpan.FromSeconds(90),
            LagAboveThreshold = 100,
            LagAboveFor = TimeSpan.FromSeconds(20),
            LagGrowingFor = null,
            StalledPartition = false,
        };
        return change?.Invoke(settings) ?? settings;
    }

    private sealed class Harness(MonitoringSettings settings)
    {
        private readonly LagTracker _tracker = new(settings, "orders", "orders-group");

        public AlertEvaluator Alerts { get; } = new(settings);

        public (IReadOnlyList<Alert> Fired, IReadOnlyList<Alert> Resolved) At(int second, long committed, long high, long dlqEnd = 0,
            IReadOnlySet<(string Topic, int Partition)>? paused = null)
        {
            var now = T0.AddSeconds(second);
            var lag = _tracker.Observe(now, [new PartitionOffsets("orders", 3, committed, high)], dlqEnd);
            return Alerts.Evaluate(lag, _tracker.Totals, now, paused: paused);
        }
    }

    [Fact]
    public void Lag_above_fires_only_after_holding_for_its_duration_and_resolves_when_it_drops()
    {
        var h = new Harness(Settings());
        Assert.Empty(h.At(0, 0, 500).Fired);
        Assert.Empty(h.At(15, 10, 500).Fired);
        var fired = Assert.Single(h.At(20, 20, 500).Fired);
        Assert.Equal(("lag-above/orders", AlertRule.LagAbove), (fired.Id, fired.Rule));
        Assert.Contains("lag 480 above 100 for 20 s", fired.Message);
        Assert.Contains("orders[3]=480", fired.Message);
        Assert.Empty(h.At(25, 30, 500).Fired); // still firing: not fired again
        Assert.Single(h.Alerts.Active);

        var resolved = Assert.Single(h.At(30, 450, 500).Resolved);
        Assert.False(resolved.Firing);
        Assert.Equal(T0.AddSeconds(30), resolved.ResolvedAt);
        Assert.Empty(h.Alerts.Active);
    }

    [Fact]
    public void A_dip_below_the_threshold_restarts_the_clock()
    {
        var h = new Harness(Settings());
        h.At(0, 0, 500);
        h.At(10, 450, 500);
        Assert.Empty(h.At(20, 450, 700).Fired);
        Assert.Empty(h.At(30, 450, 700).Fired); // above again since 20 s: only 10 s
        Assert.Single(h.At(40, 450, 700).Fired);
    }

    [Fact]
    public void A_stalled_partition_fires_per_partition_and_resolves_on_progress()
    {
        var h = new Harness(Settings(s => s with { LagAboveThreshold = 0, StalledPartition = true }));
        Assert.Empty(h.At(0, 10, 20).Fired);
        var fired = Assert.Single(h.At(30, 10, 20).Fired);
        Assert.Equal("stalled/orders/orders/3", fired.Id);
        Assert.Equal(("orders", 3), (fired.Topic, fired.Partition!.Value));
        Assert.Contains("orders[3] is STALLED: committed offset 10 unchanged for 30 s with lag 10", fired.Message);
        Assert.Single(h.At(35, 11, 20).Resolved);
    }

    [Fact]
    public void Lag_growing_fires_when_the_total_never_fell_over_its_window()
    {
        var h = new Harness(Settings(s => s with { LagAboveThreshold = 0, LagGrowingFor = TimeSpan.FromSeconds(20) }));
        Assert.Empty(h.At(0, 0, 10).Fired);
        Assert.Empty(h.At(10, 5, 30).Fired);
        var fired = Assert.Single(h.At(20, 10, 50).Fired);
        Assert.Equal(AlertRule.LagGrowing, fired.Rule);
        Assert.Contains("lag grew for 20 s to 40", fired.Message);
        Assert.Single(h.At(25, 45, 50).Resolved);
    }

    [Fact]
    public void A_pipeline_paused_by_an_operator_raises_no_stall_or_growth_alert_but_lag_above_still_fires_marked_paused()
    {
        var h = new Harness(Settings(s => s with { StalledPartition = true, LagGrowingFor = TimeSpan.FromSeconds(20), LagAboveFor = TimeSpan.FromSeconds(20) }));
        var paused = new HashSet<(string, int)> { ("orders", 3) };
        Assert.Empty(h.At(0, 10, 200, paused: paused).Fired);
        Assert.Empty(h.At(10, 10, 250, paused: paused).Fired);
        var fired = Assert.Single(h.At(30, 10, 300, paused: paused).Fired); // stalled and growing by now, but explained
        Assert.Equal(AlertRule.LagAbove, fired.Rule);
        Assert.EndsWith("(pipeline paused by an operator on this node)", fired.Message);

        // Still standing still after the resume, before the first commit: the stall is no longer explained.
        var after = h.At(35, 10, 320);
        Assert.Contains(after.Fired, a => a.Rule == AlertRule.StalledPartition);
        Assert.Contains(after.Fired, a => a.Rule == AlertRule.LagGrowing);
    }

    [Fact]
    public void The_dlq_rate_rule_compares_dead_letters_per_minute()
    {
        var h = new Harness(Settings(s => s with { LagAboveThreshold = 0, DlqPerMinuteAbove = 10 }));
        Assert.Empty(h.At(0, 0, 0, dlqEnd: 0).Fired);
        Assert.Empty(h.At(30, 0, 0, dlqEnd: 4).Fired);        // 8 per minute
        var fired = Assert.Single(h.At(60, 0, 0, dlqEnd: 10).Fired); // 12 per minute
        Assert.Contains("12 dead letters per minute, above 10", fired.Message);
        Assert.Single(h.At(90, 0, 0, dlqEnd: 10).Resolved);
    }

    [Fact]
    public void A_stuck_key_fires_past_its_threshold_and_resolves_when_no_longer_reported()
    {
        var settings = Settings(s => s with { LagAboveThreshold = 0, StuckKeyOlderThan = TimeSpan.FromMinutes(2) });
        var evaluator = new AlertEvaluator(settings);
        var tracker = new LagTracker(settings, "orders", "g");
        var now = T0;
        var lag = tracker.Observe(now, [new PartitionOffsets("orders", 3, 10, 12)], 0);
        OldestUnacked Oldest(TimeSpan age) => new("orders", "orders", 3, "acct-9", 10, age, now);

        Assert.Empty(evaluator.Evaluate(lag, tracker.Totals, now, [Oldest(TimeSpan.FromSeconds(119))]).Fired);
        var fired = Assert.Single(evaluator.Evaluate(lag, tracker.Totals, now, [Oldest(TimeSpan.FromSeconds(121))]).Fired);
        Assert.Equal(("stuck-key/orders/orders/3", AlertRule.StuckKey), (fired.Id, fired.Rule));
        Assert.Contains("key 'acct-9' has waited 2 min for orders[3]@10 to be acknowledged", fired.Message);
        Assert.Single(evaluator.Evaluate(lag, tracker.Totals, now, []).Resolved);
    }
}
