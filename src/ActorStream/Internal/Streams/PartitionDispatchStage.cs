using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;
using ActorStream.Entities;
using ActorStream.Internal.Offsets;
using ActorStream.Internal.Protocol;
using ActorStream.Kafka.Messages;
using ActorStream.Metrics;
using ActorStream.Pipelines.Settings;
using Confluent.Kafka;

namespace ActorStream.Internal.Streams;

/// <summary>
/// The heart of a partition's stream: registers each record's offset, decodes it, and tells its
/// entity (through the shard region) without waiting; acknowledgements come back to the stage's
/// actor. At most <c>max-in-flight-per-partition</c> records are unacknowledged (back-pressure to
/// Kafka). Emits the commit position whenever the lowest unacknowledged offset advances, so a commit
/// never passes a record that is not done. Records that cannot be decoded, or have no key under
/// the dead-letter policy, go to the DLQ writer and never reach an entity. A record without an ack
/// within <c>ack-timeout</c> is re-sent (the entity host treats a re-send of a record it is still
/// busy with as a timed-out attempt).
/// </summary>
internal sealed class PartitionDispatchStage : GraphStage<FlowShape<CommittableMessage<string?, byte[]?>, ICommittable>>
{
    private readonly PipelineSettings _settings;
    private readonly EntityRegistration _entity;
    private readonly IActorRef _region;
    private readonly IActorRef _deadLetters;
    private readonly Schemas.SchemaChecker? _schemas;

    private readonly TopicPartition? _partition;
    private readonly PartitionDrains? _drains;
    private readonly IntakeGate? _gate;

    public PartitionDispatchStage(PipelineSettings settings, EntityRegistration entity, IActorRef region, IActorRef deadLetters,
        Schemas.SchemaChecker? schemas = null, TopicPartition? partition = null, PartitionDrains? drains = null, IntakeGate? gate = null)
    {
        _gate = gate;
        _partition = partition;
        _drains = drains;
        _settings = settings;
        _schemas = schemas;
        _entity = entity;
        _region = region;
        _deadLetters = deadLetters;
        Shape = new FlowShape<CommittableMessage<string?, byte[]?>, ICommittable>(In, Out);
    }

    public Inlet<CommittableMessage<string?, byte[]?>> In { get; } = new("PartitionDispatch.in");

    public Outlet<ICommittable> Out { get; } = new("PartitionDispatch.out");

    public override FlowShape<CommittableMessage<string?, byte[]?>, ICommittable> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string AckTimer = "ack-timeout";
        private const string OldestTimer = "oldest-unacked";

        // Keyless records under null-key-policy = dead-letter: stage deserialize, but not a value
        // that could not be read, so not part of the serialization diagnostic.
        private const string MissingKeyType = "ActorStream.MissingKey";

        private readonly PartitionDispatchStage _stage;
        private readonly PartitionOffsetTracker _tracker = new();
        private readonly Queue<(long Offset, CommittableOffset Committable)> _offsets = new();
        private readonly Dictionary<long, Pending> _pending = new();

        // Unacknowledged offsets per entity key, to tell each delivery which earlier record of its key
        // must be completed first: the entity host may receive them out of order (a delivery lost with
        // a crashed or frozen node is re-sent only after ack-timeout, while later ones take the new route).
        private readonly Dictionary<string, SortedSet<long>> _unackedByKey = new();

        // Records waiting for their schema (value-format json-schema / json-validated), in offset
        // order: while the head waits, later records of the partition queue behind it (key order).
        private readonly Queue<Waiting> _waiting = new();
        private readonly HashSet<object> _fetching = new();
        private readonly CancellationTokenSource _fetchCancellation = new();
        private IActorRef _self = ActorRefs.Nobody;
        private ILoggingAdapter _log = NoLogger.Instance;
        private ICommittable? _toEmit;
        private Monitoring.PipelineMonitoring? _monitoring;
        private TaskCompletionSource? _drained;
        private (string Topic, int Partition)? _partition;
        private Akka.Cluster.Cluster? _cluster;

        // A record pushed while the pipeline is paused (demand signalled before the pause): held, not
        // registered or dispatched, until resume — so a paused partition takes nothing new however
        // late that record arrives. Never committed while held, so a stop or revoke redelivers it.
        private CommittableMessage<string?, byte[]?>? _held;

        public Logic(PartitionDispatchStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: () =>
            {
                if (_tracker.InFlight == 0)
                {
                    FinishIfDone();
                }

                // Otherwise the in-flight records finish first (bounded by the entities' own
                // retries); the consumer's revoke hand-over bounds the wait from outside.
            });
            SetHandler(stage.Out, onPull: () =>
            {
                EmitIfReady();
                PullIfRoom();
            });
        }

        public override void PreStart()
        {
            _self = GetStageActor(OnMessage).Ref;

            // Before the first pull: a stream started while paused (e.g. after a rebalance) starts paused.
            _stage._gate?.Register(_self);
            if (_stage._partition is { } partition && _stage._drains is { } drains)
            {
                _drained = drains.Register(partition);
            }

            _log = Logging.GetLogger(((ActorMaterializer)Materializer).System, "ActorStream.Pipeline");
            if (((ActorMaterializer)Materializer).System is ExtendedActorSystem { Provider: Akka.Cluster.IClusterActorRefProvider } clustered)
            {
                _cluster = Akka.Cluster.Cluster.Get(clustered);
                _cluster.Subscribe(_self, Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(Akka.Cluster.ClusterEvent.MemberRemoved));
            }

            var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, _stage._settings.AckTimeout.Ticks / 4));
            ScheduleRepeatedly(AckTimer, tick);
            _monitoring = Monitoring.PipelineMonitoring.Get(((ActorMaterializer)Materializer).System);
            if (_monitoring.Settings.Enabled && _monitoring.Settings.StuckKeyOlderThan is not null)
            {
                ScheduleRepeatedly(OldestTimer, _monitoring.Settings.LagInterval);
            }

            PullIfRoom();
        }

        /// <summary>Tells the monitoring which record of this partition has waited longest (stuck-key rule).</summary>
        private void ReportOldest()
        {
            Pending? oldest = null;
            foreach (var pending in _pending.Values)
            {
                if (oldest is null || pending.StartedTicks < oldest.StartedTicks)
                {
                    oldest = pending;
                }
            }

            if (_partition is not { } where)
            {
                if (oldest is null)
                {
                    return;
                }

                _partition = where = (oldest.Record.Topic, oldest.Record.Partition);
            }

            _monitoring!.ReportOldestUnacked(_stage._settings.Name, where.Topic, where.Partition, oldest is null
                ? null
                : new Monitoring.OldestUnacked(_stage._settings.Name, where.Topic, where.Partition, oldest.EntityId, oldest.Record.Offset,
                    Stopwatch.GetElapsedTime(oldest.StartedTicks), DateTimeOffset.UtcNow));
        }

        public override void PostStop()
        {
            _stage._gate?.Unregister(_self);
            _cluster?.Unsubscribe(_self);
            _drained?.TrySetResult();
            _fetchCancellation.Cancel();
            _fetchCancellation.Dispose();
            if (_waiting.Count > 0)
            {
                PipelineMetrics.InFlight.Add(-_waiting.Count, new KeyValuePair<string, object?>("pipeline", _stage._settings.Name));
                foreach (var waiting in _waiting)
                {
                    PipelineTracing.Stop(waiting.Activity, "abandoned", error: true);
                }

                _waiting.Clear();
            }

            if (_partition is { } where)
            {
                _monitoring?.ReportOldestUnacked(_stage._settings.Name, where.Topic, where.Partition, null);
            }

            // Records still in flight when the partition stream ends (revoked, failed, stopped) are
            // not acknowledged here; they are delivered again from the committed offset.
            if (_pending.Count > 0)
            {
                PipelineMetrics.InFlight.Add(-_pending.Count, new KeyValuePair<string, object?>("pipeline", _stage._settings.Name));
                foreach (var pending in _pending.Values)
                {
                    PipelineTracing.Stop(pending.Activity, "abandoned", error: true);
                }

                _pending.Clear();
                _unackedByKey.Clear();
            }
        }

        protected override void OnTimer(object timerKey)
        {
            if (OldestTimer.Equals(timerKey))
            {
                ReportOldest();
                return;
            }

            var now = DateTime.UtcNow;
            foreach (var (offset, pending) in _pending)
            {
                // Records that never reach an entity are the DLQ writer's from their first send: it
                // retries the write itself until the broker acknowledges it (one write per record).
                if (pending.FailureStage is null && now - pending.SentAt >= _stage._settings.AckTimeout)
                {
                    _log.Warning("Pipeline {0}: no acknowledgement for {1} within ack-timeout {2}; re-sending it to entity '{3}'",
                        _stage._settings.Name, pending.Record, _stage._settings.AckTimeout, pending.EntityId);
                    Metrics.PipelineMetrics.AckTimeouts.Add(1);
                    pending.SentAt = now;
                    Dispatch(pending);
                }
            }
        }

        private void OnPush()
        {
            var message = Grab(_stage.In);
            if (_stage._gate is { IsPaused: true })
            {
                _held = message;
                return;
            }

            Take(message);
            PullIfRoom();
        }

        private void Take(CommittableMessage<string?, byte[]?> message)
        {
            var consumed = message.Record;
            var record = ToRecord(consumed);
            _tracker.Register(record.Offset);
            _offsets.Enqueue((record.Offset, message.CommittableOffset));

            var entityId = EntityIdOf(record);
            var activity = PipelineTracing.StartProcessing(record, _stage._settings.Name, _stage._settings.GroupId, entityId ?? "");
            if (activity is not null)
            {
                record = record with { TraceParent = PipelineTracing.TraceParent(activity) };
            }

            PipelineMetrics.InFlight.Add(1, new KeyValuePair<string, object?>("pipeline", _stage._settings.Name));
            if (entityId is null)
            {
                var pending = new Pending(record, "", null, FailureStage.Deserialize, MissingKeyType, "the record has no key (null-key-policy = dead-letter)");
                pending.Activity = activity;
                _pending[record.Offset] = pending;
                Dispatch(pending);
            }
            else if (_stage._schemas is null)
            {
                Decoded(new Waiting(record, entityId, activity), record.Value);
            }
            else
            {
                _waiting.Enqueue(new Waiting(record, entityId, activity));
                DrainWaiting();
            }
        }

        private void Resumed()
        {
            if (_stage._gate is { IsPaused: true })
            {
                return; // paused again before this message arrived
            }

            if (_held is { } held)
            {
                _held = null;
                Take(held);
            }

            PullIfRoom();
        }

        /// <summary>Decodes the (schema-checked) JSON and hands the record to its entity, or the DLQ (stage=deserialize).</summary>
        private void Decoded(Waiting item, byte[]? json)
        {
            Pending pending;
            try
            {
                pending = new Pending(item.Record, item.EntityId, _stage._entity.Decode(json), null, null, null);
            }
            catch (Exception ex)
            {
                pending = new Pending(item.Record, item.EntityId, null, FailureStage.Deserialize, ex.GetType().FullName ?? ex.GetType().Name,
                    $"cannot decode the value as {_stage._entity.ValueType.Name}: {ex.Message}");
            }

            pending.Activity = item.Activity;
            _pending[item.Record.Offset] = pending;
            Dispatch(pending);
        }

        /// <summary>
        /// Checks waiting records in offset order against cached schemas. A schema miss starts an
        /// asynchronous fetch (off the stage thread; the stage actor hears when it is done) and
        /// stops the drain until then.
        /// </summary>
        private void DrainWaiting()
        {
            var schemas = _stage._schemas!;
            while (_waiting.Count > 0)
            {
                var item = _waiting.Peek();
                switch (schemas.Check(item.Record.Topic, item.Record.Value))
                {
                    case Schemas.SchemaCheck.Missing missing:
                        if (_fetching.Add(missing.Key))
                        {
                            var self = _self;
                            var key = missing.Key;
                            var token = _fetchCancellation.Token;
                            _ = Task.Run(() => schemas.FetchAsync(key, token), token)
                                .ContinueWith(t => self.Tell(new SchemaFetched(key)), TaskScheduler.Default);
                        }

                        return;
                    case Schemas.SchemaCheck.Invalid invalid:
                        _waiting.Dequeue();
                        var failed = new Pending(item.Record, item.EntityId, null, FailureStage.Schema, invalid.ExceptionType, invalid.Message);
                        failed.Activity = item.Activity;
                        _pending[item.Record.Offset] = failed;
                        Dispatch(failed);
                        break;
                    case Schemas.SchemaCheck.Valid valid:
                        _waiting.Dequeue();
                        Decoded(item, valid.Json);
                        break;
                }
            }
        }

        private void Dispatch(Pending pending)
        {
            if (pending.FailureStage is { } stage)
            {
                _stage._deadLetters.Tell(new WriteDeadLetter(pending.Record, stage, _stage._entity.Name, pending.EntityId,
                    pending.ExceptionType!, pending.ExceptionMessage!, 1, _self));
            }
            else
            {
                _stage._region.Tell(new ShardEnvelope(
                    pending.Record.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    pending.EntityId,
                    new DeliverRecord(pending.EntityId, pending.Record, pending.Value, _self, Previous(pending))));
            }
        }

        /// <summary>
        /// A member left or was downed: deliveries that went to its shard region are gone with it. Send
        /// every unacknowledged record again now, rather than after ack-timeout; the shards have new
        /// homes, and a host that already has a record ignores the copy (or acknowledges it as done).
        /// </summary>
        private void ResendAfterMemberRemoved(Address member)
        {
            var resend = _pending.Values.Where(p => p.FailureStage is null).OrderBy(p => p.Record.Offset).ToList();
            if (resend.Count == 0)
            {
                return;
            }

            _log.Info("Pipeline {0}: member {1} was removed; re-sending {2} unacknowledged record(s) of {3}[{4}]",
                _stage._settings.Name, member, resend.Count, resend[0].Record.Topic, resend[0].Record.Partition);
            var now = DateTime.UtcNow;
            foreach (var pending in resend)
            {
                pending.SentAt = now;
                Dispatch(pending);
            }
        }

        /// <summary>
        /// Registers <paramref name="pending"/> as unacknowledged for its key and returns the nearest
        /// earlier unacknowledged offset of the same key (-1: none). Computed again on every re-send, so
        /// a predecessor acknowledged meanwhile no longer holds the record back.
        /// </summary>
        private long Previous(Pending pending)
        {
            if (!_unackedByKey.TryGetValue(pending.EntityId, out var offsets))
            {
                offsets = new SortedSet<long>();
                _unackedByKey[pending.EntityId] = offsets;
            }

            offsets.Add(pending.Record.Offset);
            var earlier = offsets.GetViewBetween(long.MinValue, pending.Record.Offset - 1);
            return earlier.Count == 0 ? -1 : earlier.Max;
        }

        private void Unregister(Pending done)
        {
            if (done.FailureStage is null && _unackedByKey.TryGetValue(done.EntityId, out var offsets)
                && offsets.Remove(done.Record.Offset) && offsets.Count == 0)
            {
                _unackedByKey.Remove(done.EntityId);
            }
        }

        private void OnMessage((IActorRef Sender, object Message) envelope)
        {
            switch (envelope.Message)
            {
                case RecordAcked ack:
                    Acked(ack.Offset, ack.Outcome == AckOutcome.DeadLettered ? "dead-lettered" : "processed");
                    break;
                case DeadLetterWritten written:
                    Acked(written.Record.Offset, "dead-lettered");
                    break;
                case SchemaFetched fetched:
                    _fetching.Remove(fetched.Key);
                    DrainWaiting();
                    break;
                case Akka.Cluster.ClusterEvent.MemberRemoved removed:
                    ResendAfterMemberRemoved(removed.Member.Address);
                    break;
                case IntakeResumed:
                    Resumed();
                    break;
                case EntityHalted halted:
                    FailStage(new Pipelines.PipelineHaltedException(_stage._settings.Name, halted.Record, halted.EntityId, halted.Error));
                    break;
            }
        }

        private void Acked(long offset, string outcome)
        {
            if (!_pending.Remove(offset, out var done) || !_tracker.Ack(offset))
            {
                return;
            }

            Unregister(done);

            var pipelineTag = new KeyValuePair<string, object?>("pipeline", _stage._settings.Name);
            PipelineMetrics.InFlight.Add(-1, pipelineTag);
            PipelineMetrics.ProcessingDuration.Record(Stopwatch.GetElapsedTime(done.StartedTicks).TotalSeconds, pipelineTag, new KeyValuePair<string, object?>("outcome", outcome));
            PipelineMetrics.EndToEndLatency.Record(Math.Max(0, (DateTimeOffset.UtcNow - done.Record.Timestamp).TotalSeconds), pipelineTag);
            PipelineTracing.Stop(done.Activity, outcome, error: outcome == "dead-lettered");
            if (done.FailureStage is FailureStage.Deserialize or FailureStage.Schema && done.ExceptionType != MissingKeyType)
            {
                var settings = _stage._settings;
                _monitoring?.OnUnreadableRecord(new Monitoring.Internal.UnreadableRecord(settings.Name, done.Record.Topic, done.Record.Partition, done.Record.Offset,
                    done.FailureStage, done.ExceptionType ?? "", done.ExceptionMessage ?? "", settings.ValueFormat, settings.DlqTopic));
            }

            if (_tracker.TryTakeCommit(out var position))
            {
                CommittableOffset? last = null;
                while (_offsets.Count > 0 && _offsets.Peek().Offset < position)
                {
                    last = _offsets.Dequeue().Committable;
                }

                if (last is not null)
                {
                    _toEmit = last;
                }
            }

            EmitIfReady();
            PullIfRoom();
            if (_tracker.InFlight == 0 && IsClosed(_stage.In))
            {
                FinishIfDone();
            }
        }

        private void EmitIfReady()
        {
            if (_toEmit is not null && IsAvailable(_stage.Out))
            {
                Push(_stage.Out, _toEmit);
                _toEmit = null;
            }
        }

        private void FinishIfDone()
        {
            if (_toEmit is null)
            {
                CompleteStage();
            }
            else if (IsAvailable(_stage.Out))
            {
                Push(_stage.Out, _toEmit);
                _toEmit = null;
                CompleteStage();
            }
            else
            {
                // Completed after the last commit position was pulled.
                SetHandler(_stage.Out, onPull: () =>
                {
                    EmitIfReady();
                    CompleteStage();
                });
            }
        }

        private void PullIfRoom()
        {
            // Paused: no demand, so the connector's buffer for the partition fills up to
            // max-buffered-per-partition and it pauses fetching it (the consumer keeps polling, so it
            // stays in the group). The gate's IntakeResumed message pulls again.
            if (_stage._gate is { IsPaused: true } || _held is not null)
            {
                return;
            }

            if (_tracker.InFlight < _stage._settings.MaxInFlightPerPartition
                && _tracker.Tracked < _stage._settings.MaxInFlightPerPartition * 4
                && !HasBeenPulled(_stage.In) && !IsClosed(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        private string? EntityIdOf(KafkaRecord record)
        {
            if (!string.IsNullOrEmpty(record.Key))
            {
                return record.Key;
            }

            return _stage._settings.NullKeyPolicy == NullKeyPolicy.PerPartition ? PipelineSettings.PartitionEntityId(record.Partition) : null;
        }

        private static KafkaRecord ToRecord(ConsumeResult<string?, byte[]?> r) => new(
            r.Topic,
            r.Partition.Value,
            r.Offset.Value,
            r.Message.Key,
            r.Message.Value,
            r.Message.Headers is null ? [] : r.Message.Headers.Select(h => new KeyValuePair<string, byte[]>(h.Key, h.GetValueBytes())).ToList(),
            r.Message.Timestamp.UtcDateTime == default ? DateTimeOffset.UtcNow : new DateTimeOffset(r.Message.Timestamp.UtcDateTime, TimeSpan.Zero));

        /// <summary>The stage actor's note that a schema fetch ended (cached, or cached as a problem, or cancelled).</summary>
        private sealed record SchemaFetched(object Key);

        /// <summary>A record taken from Kafka whose value is not checked and decoded yet.</summary>
        private sealed record Waiting(KafkaRecord Record, string EntityId, Activity? Activity);

        private sealed class Pending
        {
            public Pending(KafkaRecord record, string entityId, object? value, string? failureStage, string? exceptionType, string? exceptionMessage)
            {
                Record = record;
                EntityId = entityId;
                Value = value;
                FailureStage = failureStage;
                ExceptionType = exceptionType;
                ExceptionMessage = exceptionMessage;
                SentAt = DateTime.UtcNow;
            }

            public KafkaRecord Record { get; }

            public string EntityId { get; }

            public object? Value { get; }

            public string? FailureStage { get; }

            public string? ExceptionType { get; }

            public string? ExceptionMessage { get; }

            public DateTime SentAt { get; set; }

            /// <summary>Stopwatch timestamp when the stage took the record (processing duration).</summary>
            public long StartedTicks { get; } = Stopwatch.GetTimestamp();

            /// <summary>The record's processing span, ended on acknowledgement.</summary>
            public Activity? Activity { get; set; }
        }
    }
}
