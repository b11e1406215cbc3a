using Akka.Actor;
using Akka.Event;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Monitoring.Internal;

/// <summary>Monitor protocol: watch this pipeline's group.</summary>
internal sealed record WatchPipeline(PipelineSettings Settings);

/// <summary>
/// One per node: every lag-interval reads each watched pipeline's offsets (off the actor thread),
/// derives lag and partition status, applies the alert rules, and reports changes: log, event
/// stream, webhooks, and the state <see cref="PipelineMonitoring"/> serves.
/// </summary>
internal sealed class LagMonitor : ReceiveActor, IWithTimers
{
    private readonly MonitoringSettings _settings;
    private readonly PipelineMonitoring _state;
    private readonly Dictionary<string, Watched> _watched = new(StringComparer.Ordinal);
    private readonly AlertEvaluator _alerts;
    private readonly WebhookNotifier _webhooks;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _reading;
    private int _failuresInARow;

    public LagMonitor(MonitoringSettings settings, PipelineMonitoring state)
    {
        _settings = settings;
        _state = state;
        _alerts = new AlertEvaluator(settings);
        _webhooks = new WebhookNotifier(settings, _log);

        Receive<WatchPipeline>(w =>
        {
            if (_watched.ContainsKey(w.Settings.Name))
            {
                return;
            }

            try
            {
                _watched[w.Settings.Name] = new Watched(w.Settings, LagReader.Create(w.Settings, Context.System.Settings.Config), new LagTracker(settings, w.Settings.Name, w.Settings.GroupId));
            }
            catch (Exception ex)
            {
                _log.Warning("Lag of pipeline {0} cannot be monitored: {1}", w.Settings.Name, ex.Message);
                return;
            }

            Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.Zero, settings.LagInterval);
        });
        Receive<Tick>(_ =>
        {
            if (_reading || _watched.Count == 0)
            {
                return;
            }

            _reading = true;
            var targets = _watched.Values.ToList();
            Task.Run(() => new Readings(targets.Select(t => (t.Settings.Name, t.Reader.Read())).ToList(), DateTimeOffset.UtcNow))
                .PipeTo(Self, failure: ex => new ReadFailed(ex));
        });
        Receive<Readings>(r =>
        {
            _reading = false;
            _failuresInARow = 0;
            foreach (var (name, (offsets, dlqEnd)) in r.Values)
            {
                var watched = _watched[name];
                var lag = watched.Tracker.Observe(r.At, offsets, dlqEnd);
                var (fired, resolved) = _alerts.Evaluate(lag, watched.Tracker.Totals, r.At, _state.OldestUnacked(name),
                    _state.SkipsOf(watched.Settings.GroupId, r.At - _settings.OffsetsSkippedKeepFor),
                    _state.PartitionEvents(watched.Settings.GroupId, r.At - _settings.RebalanceStormWithin),
                    _state.PausedAround(name, r.At) ? _state.AssignedPartitions(watched.Settings.GroupId) : null);
                _state.Update(lag, fired, resolved);
                Diagnose(watched.Settings, lag, fired);
                foreach (var alert in fired)
                {
                    _log.Warning("ALERT {0}: {1}", alert.Id, alert.Message);
                    Context.System.EventStream.Publish(new AlertFired(alert));
                    _webhooks.Notify("firing", alert);
                }

                foreach (var alert in resolved)
                {
                    _log.Info("Alert resolved {0}: {1}", alert.Id, alert.Message);
                    Context.System.EventStream.Publish(new AlertResolved(alert));
                    _webhooks.Notify("resolved", alert);
                }
            }
        });
        Receive<ReadFailed>(f =>
        {
            _reading = false;
            _failuresInARow++;
            if (_failuresInARow is 1 or 10 or 100)
            {
                _log.Warning("Reading consumer lag failed ({0} time(s) in a row): {1}", _failuresInARow, f.Error.GetBaseException().Message);
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Known conditions behind this reading: too few partitions for the cluster, offsets lost, rebalance storms.</summary>
    private void Diagnose(PipelineSettings pipeline, PipelineLag lag, IReadOnlyList<Alert> fired)
    {
        var members = Akka.Cluster.Cluster.Get(Context.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up);
        foreach (var topic in lag.Partitions.GroupBy(p => p.Topic))
        {
            var id = $"parallelism/{pipeline.Name}/{topic.Key}";
            var partitions = topic.Count();
            if (partitions < members)
            {
                _state.ReportDiagnostic(id,
                    $"topic {topic.Key} has {partitions} partition(s) but the cluster has {members} nodes: {members - partitions} node(s) get no partition of pipeline {pipeline.Name} and sit idle",
                    $"give the topic at least {members} partitions (a multiple of the node count spreads evenly, e.g. {members * 2} or {members * 4}; adding partitions moves keys: `actorstream topics apply --allow-key-remap`), or run fewer nodes");
            }
            else
            {
                _state.ClearDiagnostic(id);
            }
        }

        foreach (var alert in fired.Where(a => a.Rule is AlertRule.OffsetsSkipped or AlertRule.RebalanceStorm))
        {
            _state.ReportDiagnostic(alert.Id, alert.Message, alert.Rule == AlertRule.OffsetsSkipped
                ? "records were lost before processing: raise the topic's retention above the lag the pipeline can reach, scale out, or choose offset-out-of-range = fail to stop instead"
                : "check session.timeout.ms / heartbeat.interval.ms, max.poll.interval.ms against handler time, and nodes restarting");
        }
    }

    public static Props Props(MonitoringSettings settings, PipelineMonitoring state) =>
        Akka.Actor.Props.Create(() => new LagMonitor(settings, state));

    protected override void PostStop()
    {
        foreach (var watched in _watched.Values)
        {
            watched.Reader.Dispose();
        }
    }

    private sealed record Watched(PipelineSettings Settings, LagReader Reader, LagTracker Tracker);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record Readings(IReadOnlyList<(string Name, (IReadOnlyList<PartitionOffsets> Offsets, long DeadLetterEnd) Read)> Values, DateTimeOffset At);

    private sealed record ReadFailed(Exception Error);
}
