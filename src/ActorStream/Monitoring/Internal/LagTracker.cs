namespace ActorStream.Monitoring.Internal;

/// <summary>Raw offsets of one partition, as read from Kafka.</summary>
internal readonly record struct PartitionOffsets(string Topic, int Partition, long Committed, long HighWatermark);

/// <summary>
/// Turns periodic offset readings of one pipeline into lag with a Burrow-style status per partition
/// (pure: the caller supplies the time). Keeps only the history the status and alert rules need.
/// </summary>
internal sealed class LagTracker
{
    private readonly MonitoringSettings _settings;
    private readonly string _pipeline;
    private readonly string _groupId;
    private readonly Dictionary<(string, int), PartitionHistory> _partitions = [];
    private readonly List<(DateTimeOffset At, long Total)> _totals = [];
    private (DateTimeOffset At, long End)? _lastDlq;

    public LagTracker(MonitoringSettings settings, string pipeline, string groupId)
    {
        _settings = settings;
        _pipeline = pipeline;
        _groupId = groupId;
    }

    /// <summary>Total-lag history, oldest first, covering at least the longest rule window.</summary>
    public IReadOnlyList<(DateTimeOffset At, long Total)> Totals => _totals;

    public PipelineLag Observe(DateTimeOffset now, IEnumerable<PartitionOffsets> offsets, long deadLetterEnd)
    {
        var keep = Max(_settings.StallWindow, _settings.LagGrowingFor ?? TimeSpan.Zero, _settings.LagAboveFor) + _settings.LagInterval + _settings.LagInterval;
        var result = new List<PartitionLag>();
        foreach (var o in offsets.OrderBy(o => o.Topic, StringComparer.Ordinal).ThenBy(o => o.Partition))
        {
            if (!_partitions.TryGetValue((o.Topic, o.Partition), out var history))
            {
                history = new PartitionHistory(o.Committed, now);
                _partitions[(o.Topic, o.Partition)] = history;
            }
            else if (history.Committed != o.Committed)
            {
                history.Committed = o.Committed;
                history.CommittedSince = now;
            }

            var lag = Math.Max(0, o.HighWatermark - o.Committed);
            history.Lags.Add((now, lag));
            history.Lags.RemoveAll(s => now - s.At > keep);
            var unchanged = now - history.CommittedSince;
            result.Add(new PartitionLag(o.Topic, o.Partition, o.Committed, o.HighWatermark, Status(now, lag, unchanged, history), unchanged));
        }

        var total = result.Sum(p => p.Lag);
        _totals.Add((now, total));
        _totals.RemoveAll(s => now - s.At > keep);

        var rate = 0.0;
        if (_lastDlq is { } last && now > last.At)
        {
            rate = Math.Max(0, deadLetterEnd - last.End) / (now - last.At).TotalMinutes;
        }

        _lastDlq = (now, deadLetterEnd);
        return new PipelineLag(_pipeline, _groupId, now, result.AsReadOnly(), rate, deadLetterEnd);
    }

    /// <summary>True when the series covers <paramref name="span"/> and never fell over it, ending higher than it started.</summary>
    public static bool Growing(IReadOnlyList<(DateTimeOffset At, long Value)> series, DateTimeOffset now, TimeSpan span)
    {
        var startIndex = -1;
        for (var i = series.Count - 1; i >= 0; i--)
        {
            if (now - series[i].At >= span)
            {
                startIndex = i;
                break;
            }
        }

        if (startIndex < 0 || startIndex == series.Count - 1)
        {
            return false;
        }

        for (var i = startIndex + 1; i < series.Count; i++)
        {
            if (series[i].Value < series[i - 1].Value)
            {
                return false;
            }
        }

        return series[^1].Value > series[startIndex].Value;
    }

    private PartitionStatus Status(DateTimeOffset now, long lag, TimeSpan unchanged, PartitionHistory history)
    {
        if (lag > 0 && unchanged >= _settings.StoppedAfter)
        {
            return PartitionStatus.Stopped;
        }

        if (lag > 0 && unchanged >= _settings.StallWindow)
        {
            return PartitionStatus.Stalled;
        }

        return Growing(history.Lags, now, _settings.StallWindow) ? PartitionStatus.Warn : PartitionStatus.Ok;
    }

    private static TimeSpan Max(params TimeSpan[] values) => values.Max();

    private sealed class PartitionHistory(long committed, DateTimeOffset since)
    {
        public long Committed { get; set; } = committed;

        public DateTimeOffset CommittedSince { get; set; } = since;

        public List<(DateTimeOffset At, long Value)> Lags { get; } = [];
    }
}
