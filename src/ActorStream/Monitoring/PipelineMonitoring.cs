using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Event;
using ActorStream.Metrics;
using ActorStream.Monitoring.Internal;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Monitoring;

/// <summary>
/// Lag and alerts of the pipelines this node runs (per actor system): the latest lag reading per
/// pipeline, the alerts firing, and recently resolved ones. Pipelines register themselves when they
/// start (unless <c>actorstream.monitoring.enabled = off</c>). Alert changes are also published on
/// the event stream as <see cref="AlertFired"/> and <see cref="AlertResolved"/>.
/// </summary>
public sealed class PipelineMonitoring : IExtension
{
    private const int RecentLimit = 100;
    private readonly ExtendedActorSystem _system;
    private readonly object _gate = new();
    private ImmutableDictionary<string, PipelineLag> _lag = ImmutableDictionary<string, PipelineLag>.Empty;
    private ImmutableDictionary<string, Alert> _active = ImmutableDictionary<string, Alert>.Empty;
    private ImmutableList<Alert> _recent = ImmutableList<Alert>.Empty;
    private ImmutableDictionary<string, ImmutableHashSet<(string Topic, int Partition)>> _assigned = ImmutableDictionary<string, ImmutableHashSet<(string, int)>>.Empty;
    private IActorRef? _monitor;
    private ImmutableDictionary<string, Diagnostic> _diagnostics = ImmutableDictionary<string, Diagnostic>.Empty;
    private ImmutableList<(Kafka.Messages.OffsetsSkipped Event, DateTimeOffset At)> _skipTimes = ImmutableList<(Kafka.Messages.OffsetsSkipped, DateTimeOffset)>.Empty;
    private ImmutableList<(string GroupId, DateTimeOffset At)> _partitionEvents = ImmutableList<(string, DateTimeOffset)>.Empty;
    private ImmutableDictionary<(string Pipeline, string Topic, int Partition), OldestUnacked> _oldest = ImmutableDictionary<(string, string, int), OldestUnacked>.Empty;
    private ImmutableDictionary<string, string> _pipelineOfGroup = ImmutableDictionary<string, string>.Empty;
    private ImmutableHashSet<string> _paused = ImmutableHashSet<string>.Empty;
    private ImmutableDictionary<string, DateTimeOffset> _resumedAt = ImmutableDictionary<string, DateTimeOffset>.Empty;
    private readonly UnreadableRecords _unreadable;

    internal PipelineMonitoring(ExtendedActorSystem system)
    {
        _system = system;
        Settings = MonitoringSettings.Create(system.Settings.Config);
        _unreadable = new UnreadableRecords(Settings.SerializationErrorsWindow);
        PipelineMetrics.RegisterLagSource(this);
        var tracker = system.SystemActorOf(Props.Create(() => new AssignmentTracker(this)), "actorstream-assignments");

        // Subscribed here, not in the tracker's PreStart (which runs later, on another thread), so
        // that events of a consumer started right after this extension are never missed.
        foreach (var type in AssignmentTracker.EventTypes)
        {
            system.EventStream.Subscribe(tracker, type);
        }
    }

    /// <summary>The node's monitoring settings.</summary>
    public MonitoringSettings Settings { get; }

    /// <summary>The latest lag reading of every watched pipeline.</summary>
    public IReadOnlyList<PipelineLag> Lag => [.. Volatile.Read(ref _lag).Values.OrderBy(l => l.Pipeline, StringComparer.Ordinal)];

    /// <summary>Alerts firing now.</summary>
    public IReadOnlyList<Alert> ActiveAlerts => [.. Volatile.Read(ref _active).Values.OrderBy(a => a.FiredAt)];

    /// <summary>The last resolved alerts, newest first.</summary>
    public IReadOnlyList<Alert> RecentlyResolved => Volatile.Read(ref _recent);

    /// <summary>The partitions this node's consumer of <paramref name="groupId"/> holds now (from the partition events).</summary>
    public IReadOnlySet<(string Topic, int Partition)> AssignedPartitions(string groupId) =>
        Volatile.Read(ref _assigned).TryGetValue(groupId, out var set) ? set : ImmutableHashSet<(string, int)>.Empty;

    /// <summary>
    /// One lag reading of <paramref name="pipeline"/>'s group, straight from Kafka (for tools: no
    /// history, so every partition's status is <see cref="PartitionStatus.Ok"/>). Blocking.
    /// </summary>
    /// <param name="config">Configuration with the connector's connection settings.</param>
    /// <param name="pipeline">The pipeline whose group and topics are read.</param>
    /// <exception cref="Confluent.Kafka.KafkaException">Kafka cannot be reached.</exception>
    public static PipelineLag ReadOnce(Akka.Configuration.Config config, PipelineSettings pipeline)
    {
        using var reader = LagReader.Create(pipeline, config);
        var (offsets, dlqEnd) = reader.Read();
        return new LagTracker(MonitoringSettings.Create(config), pipeline.Name, pipeline.GroupId).Observe(DateTimeOffset.UtcNow, offsets, dlqEnd);
    }

    /// <summary>Known conditions seen on this node (newest first), each with its cause and fix.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics
    {
        get
        {
            SweepDiagnostics(DateTimeOffset.UtcNow);
            return [.. Volatile.Read(ref _diagnostics).Values.OrderByDescending(d => d.LastSeen)];
        }
    }

    /// <summary>
    /// Records a diagnostic: the first occurrence is logged as a warning with its fix, every
    /// occurrence is counted (<c>actorstream.diagnostics</c>), and it is listed until
    /// <see cref="ClearDiagnostic"/>.
    /// </summary>
    public void ReportDiagnostic(string id, string condition, string fix)
    {
        bool first;
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            first = !_diagnostics.TryGetValue(id, out var existing);
            _diagnostics = _diagnostics.SetItem(id, existing is null
                ? new Diagnostic(id, condition, fix, 1, now, now)
                : existing with { Condition = condition, Count = existing.Count + 1, LastSeen = now });
        }

        PipelineMetrics.Diagnostics.Add(1, new KeyValuePair<string, object?>("kind", id.Split('/')[0]));
        if (first)
        {
            _system.Log.Warning("Diagnostic {0}: {1} — {2}", id, condition, fix);
        }
    }

    /// <summary>Removes a diagnostic whose condition no longer holds.</summary>
    public void ClearDiagnostic(string id)
    {
        lock (_gate)
        {
            _diagnostics = _diagnostics.Remove(id);
        }
    }

    /// <summary>The extension of <paramref name="system"/>.</summary>
    public static PipelineMonitoring Get(ActorSystem system) => system.WithExtension<PipelineMonitoring, PipelineMonitoringId>();

    /// <summary>Starts watching <paramref name="pipeline"/>'s consumer group (idempotent).</summary>
    public void Watch(PipelineSettings pipeline)
    {
        lock (_gate)
        {
            // Connector events name the group; diagnostics name the pipeline.
            _pipelineOfGroup = _pipelineOfGroup.SetItem(pipeline.GroupId, pipeline.Name);
        }

        if (!Settings.Enabled)
        {
            return;
        }

        lock (_gate)
        {
            _monitor ??= _system.SystemActorOf(LagMonitor.Props(Settings, this), "actorstream-lag-monitor");
        }

        _monitor.Tell(new WatchPipeline(pipeline));
    }

    /// <summary>
    /// True while <paramref name="pipeline"/> is paused by an operator on this node
    /// (<see cref="Pipelines.Pipeline.Pause"/>): its partitions here are expected not to move, so
    /// they raise no stalled-partition alert, and the pipeline no lag-growing alert.
    /// </summary>
    public bool IsPaused(string pipeline) => Volatile.Read(ref _paused).Contains(pipeline);

    /// <summary>Notes that <paramref name="pipeline"/> was paused or resumed on this node.</summary>
    internal void SetPaused(string pipeline, bool paused)
    {
        lock (_gate)
        {
            if (!paused && _paused.Contains(pipeline))
            {
                _resumedAt = _resumedAt.SetItem(pipeline, DateTimeOffset.UtcNow);
            }

            _paused = paused ? _paused.Add(pipeline) : _paused.Remove(pipeline);
        }
    }

    /// <summary>
    /// Paused now, or resumed less than two lag intervals before <paramref name="at"/>: a reading
    /// taken right after the resume can predate the first commit, and would report the pause's
    /// standing still as a stall.
    /// </summary>
    internal bool PausedAround(string pipeline, DateTimeOffset at) =>
        IsPaused(pipeline) || (Volatile.Read(ref _resumedAt).TryGetValue(pipeline, out var resumed) && at - resumed < Settings.LagInterval * 2);

    /// <summary>The oldest unacknowledged record per partition of <paramref name="pipeline"/> on this node (fresh reports only).</summary>
    public IReadOnlyList<OldestUnacked> OldestUnacked(string pipeline)
    {
        var freshAfter = DateTimeOffset.UtcNow - (Settings.LagInterval * 3);
        return [.. Volatile.Read(ref _oldest).Values.Where(o => o.Pipeline == pipeline && o.ReportedAt >= freshAfter)];
    }

    /// <summary>A partition stream reports its oldest unacknowledged record (null: nothing in flight).</summary>
    internal void ReportOldestUnacked(string pipeline, string topic, int partition, OldestUnacked? oldest)
    {
        lock (_gate)
        {
            _oldest = oldest is null ? _oldest.Remove((pipeline, topic, partition)) : _oldest.SetItem((pipeline, topic, partition), oldest);
        }
    }

    /// <summary>Offsets-skipped events of <paramref name="groupId"/> since <paramref name="since"/>, with when they were seen.</summary>
    internal IReadOnlyList<(Kafka.Messages.OffsetsSkipped Event, DateTimeOffset At)> SkipsOf(string groupId, DateTimeOffset since) =>
        [.. Volatile.Read(ref _skipTimes).Where(s => s.Event.GroupId == groupId && s.At >= since)];

    /// <summary>Partition events (assign, revoke, lose) of this node's consumer of <paramref name="groupId"/> since <paramref name="since"/>.</summary>
    public int PartitionEvents(string groupId, DateTimeOffset since) =>
        Volatile.Read(ref _partitionEvents).Count(e => e.GroupId == groupId && e.At >= since);

    /// <summary>A consumer's subscribed topic became unknown or leaderless: listed until it is back.</summary>
    internal void OnTopicUnavailable(Kafka.Messages.TopicUnavailable e)
    {
        var pipeline = PipelineOf(e.GroupId);
        var since = e.Since.UtcDateTime.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var waits = e.FailAfter > TimeSpan.Zero ? $" and fails if it is still unavailable after {e.FailAfter}" : " (unknown-topic-timeout = 0: for as long as it takes)";
        ReportDiagnostic(TopicUnavailableId(pipeline, e.Topic),
            $"pipeline {pipeline} (group {e.GroupId}): subscribed topic '{e.Topic}' is unavailable since {since} UTC: {e.Code}: {e.Reason}; the pipeline waits for it{waits}",
            $"create the topic or fix the pipeline's topic name (`actorstream topics plan` shows what is missing, `actorstream topics apply` creates it); " +
            $"if it exists, check that every partition has a leader (brokers down, under-replicated: `actorstream topics describe {e.Topic}`)");
    }

    /// <summary>A topic that was unavailable is back: its diagnostic ends.</summary>
    internal void OnTopicAvailable(Kafka.Messages.TopicAvailable e)
    {
        var id = TopicUnavailableId(PipelineOf(e.GroupId), e.Topic);
        if (Volatile.Read(ref _diagnostics).ContainsKey(id))
        {
            ClearDiagnostic(id);
            _system.Log.Info("Diagnostic {0} cleared: topic '{1}' is available again after {2}", id, e.Topic, e.UnavailableFor);
        }
    }

    /// <summary>A record dead-lettered at stage deserialize or schema (after the broker acknowledged the dead letter).</summary>
    internal void OnUnreadableRecord(UnreadableRecord record)
    {
        (string Id, string Condition, string Fix) diagnostic;
        lock (_gate)
        {
            diagnostic = _unreadable.Add(record, DateTimeOffset.UtcNow);
        }

        ReportDiagnostic(diagnostic.Id, diagnostic.Condition, diagnostic.Fix);
    }

    /// <summary>Ends conditions that stopped holding by time (serialization errors: a whole window without one).</summary>
    internal void SweepDiagnostics(DateTimeOffset now)
    {
        IReadOnlyList<string> ended;
        lock (_gate)
        {
            ended = _unreadable.Expire(now);
            foreach (var id in ended)
            {
                _diagnostics = _diagnostics.Remove(id);
            }
        }

        foreach (var id in ended)
        {
            _system.Log.Info("Diagnostic {0} cleared: no unreadable record for {1}", id, Settings.SerializationErrorsWindow);
        }
    }

    private string PipelineOf(string groupId) => Volatile.Read(ref _pipelineOfGroup).GetValueOrDefault(groupId, groupId);

    private static string TopicUnavailableId(string pipeline, string topic) => $"topic-unavailable/{pipeline}/{topic}";

    internal void OnOffsetsSkipped(Kafka.Messages.OffsetsSkipped skipped)
    {
        lock (_gate)
        {
            var keepAfter = DateTimeOffset.UtcNow - Settings.OffsetsSkippedKeepFor;
            _skipTimes = _skipTimes.RemoveAll(s => s.At < keepAfter).Add((skipped, DateTimeOffset.UtcNow));
        }
    }

    internal void OnAssignmentChanged(string groupId, IEnumerable<(string Topic, int Partition)> partitions, bool added)
    {
        lock (_gate)
        {
            var keepAfter = DateTimeOffset.UtcNow - Settings.RebalanceStormWithin;
            _partitionEvents = _partitionEvents.RemoveAll(e => e.At < keepAfter).Add((groupId, DateTimeOffset.UtcNow));
            var current = _assigned.TryGetValue(groupId, out var set) ? set : ImmutableHashSet<(string, int)>.Empty;
            _assigned = _assigned.SetItem(groupId, added ? current.Union(partitions) : current.Except(partitions));
        }
    }

    internal void Update(PipelineLag lag, IReadOnlyList<Alert> fired, IReadOnlyList<Alert> resolved)
    {
        lock (_gate)
        {
            _lag = _lag.SetItem(lag.Pipeline, lag);
            _active = _active.SetItems(fired.Select(a => KeyValuePair.Create(a.Id, a))).RemoveRange(resolved.Select(a => a.Id));
            if (resolved.Count > 0)
            {
                _recent = _recent.InsertRange(0, resolved);
                if (_recent.Count > RecentLimit)
                {
                    _recent = _recent.RemoveRange(RecentLimit, _recent.Count - RecentLimit);
                }
            }
        }
    }
}

/// <summary>Extension id of <see cref="PipelineMonitoring"/>.</summary>
public sealed class PipelineMonitoringId : ExtensionIdProvider<PipelineMonitoring>
{
    /// <inheritdoc />
    public override PipelineMonitoring CreateExtension(ExtendedActorSystem system) => new(system);
}
