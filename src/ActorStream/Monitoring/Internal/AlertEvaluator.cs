using System.Globalization;

namespace ActorStream.Monitoring.Internal;

/// <summary>
/// Applies the alert rules to each new lag reading of a pipeline (pure: the caller supplies the
/// time): an alert fires when its condition starts to hold (for its duration) and resolves when it
/// no longer does.
/// </summary>
internal sealed class AlertEvaluator
{
    private readonly MonitoringSettings _settings;
    private readonly Dictionary<string, Alert> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _aboveSince = new(StringComparer.Ordinal);

    public AlertEvaluator(MonitoringSettings settings)
    {
        _settings = settings;
    }

    /// <summary>Alerts firing now.</summary>
    public IReadOnlyCollection<Alert> Active => _active.Values;

    /// <summary>Applies the rules to <paramref name="lag"/>, the newest reading of its pipeline.</summary>
    /// <param name="lag">The reading.</param>
    /// <param name="totals">Recent total lags of the pipeline (lag-growing).</param>
    /// <param name="now">The reading's time.</param>
    /// <param name="oldest">Oldest unacknowledged records per partition on this node (stuck-key).</param>
    /// <param name="skips">Recent offsets-skipped events of the group.</param>
    /// <param name="partitionEvents">Partition events of this node's consumer within the storm window.</param>
    /// <param name="paused">
    /// Non-null while an operator paused the pipeline on this node: the partitions this node holds.
    /// Their standing still is explained, so they raise no stalled-partition alert and the pipeline no
    /// lag-growing alert; lag-above still fires (lag must never grow unbounded without an alert),
    /// its message saying the pipeline is paused.
    /// </param>
    public (IReadOnlyList<Alert> Fired, IReadOnlyList<Alert> Resolved) Evaluate(
        PipelineLag lag, IReadOnlyList<(DateTimeOffset At, long Total)> totals, DateTimeOffset now, IReadOnlyList<OldestUnacked>? oldest = null,
        IReadOnlyList<(Kafka.Messages.OffsetsSkipped Event, DateTimeOffset At)>? skips = null, int partitionEvents = 0,
        IReadOnlySet<(string Topic, int Partition)>? paused = null)
    {
        var holding = new Dictionary<string, (AlertRule Rule, string? Topic, int? Partition, string Message)>(StringComparer.Ordinal);
        var p = lag.Pipeline;

        if (_settings.LagAboveThreshold > 0)
        {
            if (lag.TotalLag > _settings.LagAboveThreshold)
            {
                var since = _aboveSince.TryGetValue(p, out var s) ? s : _aboveSince[p] = now;
                if (now - since >= _settings.LagAboveFor)
                {
                    holding[$"lag-above/{p}"] = (AlertRule.LagAbove, null, null, Invariant(
                        $"pipeline {p} (group {lag.GroupId}): lag {lag.TotalLag} above {_settings.LagAboveThreshold} for {Round(now - since)}; worst partitions: {Worst(lag)}") + (paused is null ? "" : " (pipeline paused by an operator on this node)"));
                }
            }
            else
            {
                _aboveSince.Remove(p);
            }
        }

        if (paused is null && _settings.LagGrowingFor is { } growingFor && LagTracker.Growing(totals, now, growingFor))
        {
            holding[$"lag-growing/{p}"] = (AlertRule.LagGrowing, null, null, Invariant(
                $"pipeline {p} (group {lag.GroupId}): lag grew for {Round(growingFor)} to {lag.TotalLag}; consumers fall behind the producers (add nodes/partitions, or look at processing time)"));
        }

        if (_settings.StalledPartition)
        {
            foreach (var partition in lag.Partitions.Where(x => x.Status is PartitionStatus.Stalled or PartitionStatus.Stopped
                && paused?.Contains((x.Topic, x.Partition)) != true))
            {
                holding[$"stalled/{p}/{partition.Topic}/{partition.Partition}"] = (AlertRule.StalledPartition, partition.Topic, partition.Partition, Invariant(
                    $"pipeline {p}: {partition.Topic}[{partition.Partition}] is {partition.Status.ToString().ToUpperInvariant()}: committed offset {partition.Committed} unchanged for {Round(partition.CommittedUnchangedFor)} with lag {partition.Lag}; look for a stuck key or a stopped consumer"));
            }
        }

        if (_settings.DlqPerMinuteAbove > 0 && lag.DeadLettersPerMinute > _settings.DlqPerMinuteAbove)
        {
            holding[$"dlq-rate/{p}"] = (AlertRule.DlqRateAbove, null, null, Invariant(
                $"pipeline {p}: {lag.DeadLettersPerMinute:0.#} dead letters per minute, above {_settings.DlqPerMinuteAbove:0.#}; `actorstream dlq list` shows them"));
        }

        if (_settings.StuckKeyOlderThan is { } stuckAfter)
        {
            foreach (var o in (oldest ?? []).Where(o => o.Pipeline == p && o.Age >= stuckAfter))
            {
                holding[$"stuck-key/{p}/{o.Topic}/{o.Partition}"] = (AlertRule.StuckKey, o.Topic, o.Partition, Invariant(
                    $"pipeline {p}: key '{o.EntityId}' has waited {Round(o.Age)} for {o.Topic}[{o.Partition}]@{o.Offset} to be acknowledged (threshold {Round(stuckAfter)}); its partition's commits wait behind it — look at the entity's handler or its retries"));
            }
        }

        foreach (var (skip, at) in (skips ?? []).Where(s => now - s.At < _settings.OffsetsSkippedKeepFor))
        {
            var tp = skip.Partition;
            holding[$"offsets-skipped/{p}/{tp.Topic}/{tp.Partition.Value}"] = (AlertRule.OffsetsSkipped, tp.Topic, tp.Partition.Value, Invariant(
                $"pipeline {p} (group {skip.GroupId}): ") +
                (skip.DetectedAt == Kafka.Messages.OutOfRangeDetection.Fetch
                    ? Invariant($"fetch position {skip.Committed} of {tp.Topic}[{tp.Partition.Value}] fell outside its log [{skip.LogStart}, {skip.LogEnd}) while the pipeline was reading (records deleted before it reached them)")
                    : Invariant($"committed offset {skip.Committed} of {tp.Topic}[{tp.Partition.Value}] was outside its log [{skip.LogStart}, {skip.LogEnd})")) +
                Invariant($"; policy {skip.Policy.ToString().ToLowerInvariant()}: ") +
                (skip.ResumedAt is { } resumed
                    ? Invariant($"{skip.Skipped} offset(s) skipped, never processed; consumption continued at {resumed}")
                    : Invariant($"the pipeline stopped; {skip.Skipped} record(s) were already deleted")) +
                " — retention is shorter than the lag this pipeline reaches: raise retention or scale out");
        }

        if (_settings.RebalanceStormMax > 0 && partitionEvents > _settings.RebalanceStormMax)
        {
            holding[$"rebalance-storm/{p}"] = (AlertRule.RebalanceStorm, null, null, Invariant(
                $"pipeline {p} (group {lag.GroupId}): {partitionEvents} partition assignments/revocations within {Round(_settings.RebalanceStormWithin)} (limit {_settings.RebalanceStormMax}); members keep leaving and joining — check session.timeout.ms and heartbeat.interval.ms, max.poll.interval.ms against the time handlers take, and nodes restarting"));
        }

        var fired = new List<Alert>();
        foreach (var (id, condition) in holding)
        {
            if (!_active.ContainsKey(id))
            {
                var alert = new Alert(id, condition.Rule, p, condition.Topic, condition.Partition, condition.Message, now);
                _active[id] = alert;
                fired.Add(alert);
            }
        }

        var resolved = new List<Alert>();
        foreach (var (id, alert) in _active.Where(a => a.Value.Pipeline == p && !holding.ContainsKey(a.Key)).ToList())
        {
            _active.Remove(id);
            resolved.Add(alert with { ResolvedAt = now });
        }

        return (fired, resolved);
    }

    private static string Worst(PipelineLag lag) =>
        string.Join(", ", lag.Partitions.OrderByDescending(x => x.Lag).Take(3).Select(x => Invariant($"{x.Topic}[{x.Partition}]={x.Lag}")));

    private static string Round(TimeSpan span) => span.TotalMinutes >= 1 ? Invariant($"{span.TotalMinutes:0.#} min") : Invariant($"{span.TotalSeconds:0} s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
