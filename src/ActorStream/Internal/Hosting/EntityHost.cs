using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using ActorStream.Entities;
using ActorStream.Internal.Protocol;
using ActorStream.Metrics;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Internal.Hosting;

/// <summary>
/// One per entity id (a sharded entity): hands the entity's records to the user's entity actor one
/// at a time, in offset order — a record waits until the key's previous unacknowledged record (as
/// its partition stream saw it when sending) is completed, so a delivery lost on the way and re-sent
/// later is never overtaken — and supervises it. On failure the pipeline's supervision
/// decides: retry (the entity actor is recreated after an exponential backoff and gets the same
/// record again, while later records of this key wait), dead-letter (the record goes to the DLQ and
/// is acknowledged once the broker acknowledged the dead letter), or stop (the pipeline halts on
/// this record). A record redelivered after it was completed is acknowledged again without being
/// handled twice. Failures that are not the record's fault — storage failures of event-sourced
/// entities (<see cref="EntityStorageException"/>: database down) and outputs that cannot be written
/// yet (<see cref="OutputUnavailableException"/>: output topic unavailable, producer replaced, schema
/// registry down) — are retried with a capped backoff for as long as they last, never dead-lettered and
/// not counted against <c>retry.max-attempts</c>; the record is not acknowledged meanwhile (the commit
/// stays before it, its key shows as stuck). While a record's outputs are being written, ack-timeout
/// does not count as a failed attempt. A host idle for the pipeline's <c>passivate-after</c> asks
/// its shard to stop it (it comes back with the key's next record).
/// </summary>
internal sealed class EntityHost : ReceiveActor, IWithTimers
{
    private readonly string _entityId;
    private readonly PipelineSettings _settings;
    private readonly EntityRegistration _entity;
    private readonly IActorRef _deadLetters;
    private readonly List<DeliverRecord> _queue = new();
    private readonly Dictionary<int, long> _completed = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DeliverRecord? _current;
    private int _attempt;
    private bool _running;
    private DateTime _startedAt;
    private IActorRef? _child;
    private int _childIncarnation;
    private Exception? _lastError;

    // Retries of the current record after failures that are not its fault (storage, outputs).
    private int _transientAttempt;

    // The entity handled the current attempt and waits for its outputs' acknowledgements.
    private bool _outputsInFlight;
    private bool _outputWaitReported;

    public EntityHost(string entityId, PipelineSettings settings, EntityRegistration entity, IActorRef deadLetters)
    {
        _entityId = entityId;
        _settings = settings;
        _entity = entity;
        _deadLetters = deadLetters;

        Receive<DeliverRecord>(OnDeliver);
        Receive<RecordProcessed>(p =>
        {
            if (_current is not null && _running && p.Offset == _current.Record.Offset && Sender.Equals(_child))
            {
                Complete(AckOutcome.Processed);
            }
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_child))
            {
                return;
            }

            _child = null;
            if (_current is not null && _running)
            {
                OnFailure(_lastError ?? new InvalidOperationException("the entity actor stopped without acknowledging the record"), FailureStage.Handler);
            }
        });
        Receive<RetryRecord>(r =>
        {
            if (_current is not null && !_running && _current.Record.Offset == r.Offset)
            {
                Send();
            }
        });
        Receive<OutputsInFlight>(o =>
        {
            if (_current is not null && _running && o.Offset == _current.Record.Offset && Sender.Equals(_child))
            {
                _outputsInFlight = true;
            }
        });
        Receive<EntityStorageFailed>(f =>
        {
            if (Sender.Equals(_child))
            {
                _lastError = f.Error;
            }
        });
        Receive<ReceiveTimeout>(_ =>
        {
            if (_current is null && _queue.Count == 0)
            {
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            }
        });
        if (settings.PassivateAfter > TimeSpan.Zero)
        {
            Context.SetReceiveTimeout(settings.PassivateAfter);
        }

        Receive<DeadLetterWritten>(w =>
        {
            if (_current is not null && _current.Record.Offset == w.Record.Offset && _current.Record.Partition == w.Record.Partition)
            {
                Complete(AckOutcome.DeadLettered);
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string entityId, PipelineSettings settings, EntityRegistration entity, IActorRef deadLetters) =>
        Akka.Actor.Props.Create(() => new EntityHost(entityId, settings, entity, deadLetters));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            // Remember why; the decision is taken when the child has stopped (Terminated).
            _lastError = ex;
            return Directive.Stop;
        });

    protected override void PreStart() =>
        PipelineMetrics.ActiveEntities.Add(1, new KeyValuePair<string, object?>("pipeline", _settings.Name));

    protected override void PostStop() =>
        PipelineMetrics.ActiveEntities.Add(-1, new KeyValuePair<string, object?>("pipeline", _settings.Name));

    private void OnDeliver(DeliverRecord delivery)
    {
        // Co-location: the partition stream that sent it runs on this node (shard placed where the
        // partition is consumed) unless partitions moved and the shard has not followed yet.
        PipelineMetrics.RecordsDelivered.Add(1,
            new KeyValuePair<string, object?>("pipeline", _settings.Name),
            new KeyValuePair<string, object?>("locality", delivery.ReplyTo.Path.Address.HasLocalScope ? "local" : "remote"));

        var record = delivery.Record;
        if (_completed.TryGetValue(record.Partition, out var done) && record.Offset <= done)
        {
            // A redelivery (ack lost, partition restarted): already handled, never twice.
            delivery.ReplyTo.Tell(new RecordAcked(record.Partition, record.Offset, AckOutcome.AlreadyDone));
            return;
        }

        if (_current is not null && _current.Record.Partition == record.Partition && _current.Record.Offset == record.Offset)
        {
            // Re-sent because no ack came within ack-timeout: reply to the newest stage, and if the
            // entity is still busy with it past the timeout, count that as a failed attempt.
            _current = delivery;
            if (_running && _outputsInFlight && DateTime.UtcNow - _startedAt >= _settings.AckTimeout)
            {
                // Handled; the output topic is slow or away. The producer bounds each try and a
                // failure comes back here as an OutputUnavailableException: never a timeout.
                if (!_outputWaitReported)
                {
                    _outputWaitReported = true;
                    _log.Warning($"Entity {_entity.Name} '{_entityId}': the outputs of {record} are not acknowledged by Kafka after {DateTime.UtcNow - _startedAt:g}; waiting for the output topic (ack-timeout applies to the handler, not to output delivery)");
                }
            }
            else if (_running && DateTime.UtcNow - _startedAt >= _settings.AckTimeout && _child is not null)
            {
                _lastError = new TimeoutException($"the entity did not acknowledge {record} within ack-timeout {_settings.AckTimeout}");
                PipelineMetrics.AckTimeouts.Add(1);
                var child = _child;
                _child = null;
                Context.Unwatch(child);
                Context.Stop(child);
                OnFailure(_lastError, FailureStage.Timeout);
            }

            return;
        }

        var queued = _queue.FindIndex(q => q.Record.Partition == record.Partition && q.Record.Offset == record.Offset);
        if (queued >= 0)
        {
            // Re-sent while waiting here: keep the newest copy (its predecessor may have been acknowledged meanwhile).
            _queue[queued] = delivery;
        }
        else
        {
            // Kept in offset order; records usually arrive in order, so this is an append.
            var at = _queue.Count;
            while (at > 0 && _queue[at - 1].Record.Offset > record.Offset)
            {
                at--;
            }

            _queue.Insert(at, delivery);
        }

        TryStart();
    }

    /// <summary>
    /// Starts the next record: the lowest offset whose predecessor of this key (<see cref="DeliverRecord.Previous"/>)
    /// is completed. A record whose predecessor has not arrived waits, however long it has been here:
    /// handling it first would break the key's order, and a lost predecessor is re-sent by its partition
    /// stream after ack-timeout.
    /// </summary>
    private void TryStart()
    {
        if (_current is not null || _queue.Count == 0)
        {
            return;
        }

        // The queue is in offset order, so the first record of each partition is that partition's
        // lowest; only it may go next (records of other partitions — a pipeline with several topics —
        // are independent of it).
        var next = -1;
        HashSet<int>? seen = null;
        for (var i = 0; i < _queue.Count; i++)
        {
            var partition = _queue[i].Record.Partition;
            if (i > 0 && (seen ??= [_queue[0].Record.Partition]).Contains(partition))
            {
                continue;
            }

            if (IsReady(_queue[i]))
            {
                next = i;
                break;
            }

            seen?.Add(partition);
        }

        if (next < 0)
        {
            return;
        }

        var chosen = _queue[next];
        _queue.RemoveAt(next);
        _current = chosen;
        _attempt = 1;
        _transientAttempt = 0;
        Send();
    }

    private bool IsReady(DeliverRecord delivery) =>
        delivery.Previous < 0 || (_completed.TryGetValue(delivery.Record.Partition, out var done) && done >= delivery.Previous);

    private void Send()
    {
        if (_child is null)
        {
            _childIncarnation++;
            _child = Context.ActorOf(_entity.PropsFor(new EntityStart(_entity.Name, _entityId, _settings.SnapshotEvery)), $"entity-{_childIncarnation}");
            Context.Watch(_child);
        }

        _lastError = null;
        _outputsInFlight = false;
        _outputWaitReported = false;
        _running = true;
        _startedAt = DateTime.UtcNow;
        _child.Tell(new ProcessRecord(_entityId, _current!.Record, _current.Value, _attempt) { EmitFormat = _settings.EmitFormat });
    }

    private void OnFailure(Exception error, string stage)
    {
        _running = false;
        var record = _current!.Record;
        if (TransientCause(error) is { } cause)
        {
            // Database down, output topic unavailable: not the record's fault. Keep the key blocked
            // (nothing acked, nothing committed) and retry with backoff until it answers again; the
            // attempts the record's own failures are counted with stay as they are.
            _transientAttempt++;
            var wait = _settings.Retry.BackoffFor(Math.Min(_transientAttempt, 30));
            var what = cause is OutputUnavailableException ? "writing its outputs" : "storage";
            _log.Warning($"Entity {_entity.Name} '{_entityId}': {what} failed on {record} (retry {_transientAttempt}, not counted against retry.max-attempts): {cause.Message}; retrying in {wait}");
            PipelineMetrics.RecordsRetried.Add(1);
            if (cause is OutputUnavailableException output)
            {
                PipelineMetrics.OutputRetries.Add(1,
                    new KeyValuePair<string, object?>("pipeline", _settings.Name),
                    new KeyValuePair<string, object?>("topic", output.Topic));
            }

            Timers.StartSingleTimer("retry", new RetryRecord(record.Offset), wait);
            return;
        }

        var decision = _settings.Supervision.Decide(error);
        if (decision == SupervisionDecision.Retry && _attempt < _settings.Retry.MaxAttempts)
        {
            var backoff = _settings.Retry.BackoffFor(_attempt);
            _log.Warning($"Entity {_entity.Name} '{_entityId}' failed on {record} (attempt {_attempt}/{_settings.Retry.MaxAttempts}): {error.GetType().Name}: {error.Message}; retrying in {backoff}");
            PipelineMetrics.RecordsRetried.Add(1);
            _attempt++;
            Timers.StartSingleTimer("retry", new RetryRecord(record.Offset), backoff);
            return;
        }

        if (decision == SupervisionDecision.Stop)
        {
            _log.Error(error, "Entity {0} '{1}' failed on {2}; supervision says stop: the pipeline halts on this record", _entity.Name, _entityId, record);
            _current.ReplyTo.Tell(new EntityHalted(record, _entityId, error));
            return;
        }

        _log.Warning($"Entity {_entity.Name} '{_entityId}' failed on {record} after {_attempt} attempt(s): {error.GetType().Name}: {error.Message}; dead-lettering");
        _deadLetters.Tell(new WriteDeadLetter(record, stage, _entity.Name, _entityId, error.GetType().FullName ?? error.GetType().Name, error.Message, _attempt, Self));
    }

    /// <summary>The storage or output failure in <paramref name="error"/>'s causes, if that is what it is.</summary>
    private static Exception? TransientCause(Exception error)
    {
        for (var e = error; e is not null; e = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e.InnerException)
        {
            if (e is EntityStorageException or OutputUnavailableException)
            {
                return e;
            }
        }

        return null;
    }

    private void Complete(AckOutcome outcome)
    {
        var record = _current!.Record;
        _current.ReplyTo.Tell(new RecordAcked(record.Partition, record.Offset, outcome));
        if (outcome == AckOutcome.Processed)
        {
            PipelineMetrics.RecordsProcessed.Add(1);
        }

        _completed[record.Partition] = record.Offset;
        _current = null;
        _running = false;
        TryStart();
    }
}
