using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ActorStream.Internal.Protocol;
using ActorStream.Metrics;
using ActorStream.Persistence;

namespace ActorStream.Entities;

/// <summary>
/// Base class for entities whose state survives restarts, rebalances and passivation: the state is
/// rebuilt from events journaled through Akka.Persistence.Sql (SQLite by default, PostgreSQL by
/// configuration; see <c>actorstream.persistence</c>), starting from the latest snapshot.
/// <para>
/// For every record: <see cref="Decide"/> turns the value and the current state into events; the
/// events are persisted atomically together with the record's source (topic, partition, offset);
/// <see cref="Apply"/> folds each into the state; <see cref="Emit"/> derives the outputs; the outputs are
/// produced; then the record is acknowledged.
/// </para>
/// <para>
/// Effectively once: a record at or below the last applied offset of its partition is a
/// redelivery. Below, or equal with its outputs known to be delivered (a small delivery marker is
/// journaled after Kafka acknowledged them): acknowledged without anything being applied or emitted.
/// Equal without the marker (events persisted, but a crash may have hit before the outputs reached
/// Kafka): the outputs are derived again by <see cref="Emit"/> from the journaled events and the
/// current state, produced, and the record acknowledged — outputs are at-least-once, never dropped,
/// state changes exactly once.
/// </para>
/// </summary>
/// <typeparam name="TValue">The record value type (decoded from JSON).</typeparam>
/// <typeparam name="TState">The state; serialized as JSON in snapshots.</typeparam>
/// <typeparam name="TEvent">The event type, or a base type of the events; every concrete event type carries an <see cref="EventTypeAttribute"/>.</typeparam>
public abstract class EventSourcedEntity<TValue, TState, TEvent> : UntypedPersistentActor, IEntityStartAware
    where TEvent : class
{
    private static readonly ConcurrentDictionary<Type, EventTypeMap> EventTypes = new();
    private readonly Dictionary<(string Topic, int Partition), AppliedSource> _applied = new();
    private readonly EventTypeMap _types;
    private EntityStart _start = new("", "");
    private TState? _state;
    private bool _hasState;
    private long _eventsSinceSnapshot;

    /// <summary>Checks the event types and prepares the storage (first entity of the system).</summary>
    protected EventSourcedEntity()
    {
        _types = EventTypes.GetOrAdd(typeof(TEvent), EventTypeMap.For);
        ActorStreamPersistence.Get(Context.System);
        JournalPluginId = ActorStreamPersistence.JournalPluginId;
        SnapshotPluginId = ActorStreamPersistence.SnapshotPluginId;
    }

    /// <summary>The entity id (record key).</summary>
    protected string EntityId => _start.EntityId;

    /// <summary>The current state (after every applied event).</summary>
    protected TState State
    {
        get
        {
            if (!_hasState)
            {
                _state = InitialState();
                _hasState = true;
            }

            return _state!;
        }
    }

    /// <summary><c>&lt;entity type&gt;|&lt;entity id&gt;</c>: the same for every pipeline and node hosting the entity.</summary>
    public override string PersistenceId => $"{_start.EntityType}|{_start.EntityId}";

    /// <summary>Schema version of the state written in snapshots; raise it when the state's JSON shape changes and upgrade in <see cref="UpgradeState"/>.</summary>
    protected virtual int StateVersion => 1;

    /// <summary>The state of an entity without events.</summary>
    protected abstract TState InitialState();

    /// <summary>Decides what the record means: the events to persist (none is fine). Must not change state; throw to fail the record.</summary>
    /// <param name="value">The decoded record value.</param>
    /// <param name="state">The current state.</param>
    /// <param name="context">The record, entity id and attempt.</param>
    protected abstract IEnumerable<TEvent> Decide(TValue value, TState state, RecordContext context);

    /// <summary>Folds one event into the state. Pure: also called on recovery, so no side effects.</summary>
    protected abstract TState Apply(TState state, TEvent @event);

    /// <summary>
    /// Emits the outputs of a record through <paramref name="context"/>, from the state after its
    /// events and the events themselves. Called after the events were persisted, and again with the
    /// same journaled events when the record is redelivered before its acknowledgement was committed.
    /// Default: nothing.
    /// </summary>
    protected virtual void Emit(TState state, IReadOnlyList<TEvent> events, RecordContext context)
    {
    }

    /// <summary>
    /// Turns the JSON of an event written with an older schema <paramref name="fromVersion"/> into the
    /// current shape of <paramref name="eventType"/>. Default: unchanged (added fields take their
    /// defaults, removed fields are ignored).
    /// </summary>
    protected virtual JsonNode UpgradeEvent(string eventType, int fromVersion, JsonNode data) => data;

    /// <summary>Turns snapshot state JSON of an older <paramref name="fromVersion"/> into the current shape. Default: unchanged.</summary>
    protected virtual JsonNode UpgradeState(int fromVersion, JsonNode state) => state;

    /// <summary>Reads a journaled event into <typeparamref name="TEvent"/> (upgrading older versions).</summary>
    protected TEvent ReadEvent(PersistedEvent persisted)
    {
        ArgumentNullException.ThrowIfNull(persisted);
        var (type, version) = _types.ByName(persisted.EventType);
        if (persisted.Version > version)
        {
            throw new InvalidOperationException($"event '{persisted.EventType}' version {persisted.Version} is newer than this code knows ({version})");
        }

        var node = JsonNode.Parse(persisted.Data.GetRawText()) ?? throw new JsonException($"event '{persisted.EventType}' is JSON null");
        if (persisted.Version < version)
        {
            node = UpgradeEvent(persisted.EventType, persisted.Version, node);
        }

        return (TEvent)(node.Deserialize(type, EntityJson.Options) ?? throw new JsonException($"event '{persisted.EventType}' is JSON null"));
    }

    /// <summary>Writes an event into its journal envelope.</summary>
    protected PersistedEvent WriteEvent(RecordSource source, TEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var (name, version) = _types.ByType(@event.GetType());
        return new PersistedEvent(source, name, version, JsonSerializer.SerializeToElement(@event, @event.GetType(), EntityJson.Options));
    }

    void IEntityStartAware.Bind(EntityStart start) => _start = start;

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: PersistedSnapshot snapshot }:
                RestoreSnapshot(snapshot);
                break;
            case PersistedEvent persisted:
                ApplyPersisted(persisted, ReadEvent(persisted));
                _eventsSinceSnapshot++;
                break;
            case PersistedDelivery delivery:
                MarkDelivered(delivery.Source);
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case ProcessRecord record:
                Handle(record);
                break;
            case OutputsDelivered delivered:
                // Remember (asynchronously: the ack does not wait) that the outputs are out, so that a
                // later redelivery of this offset is not emitted again. If this write is lost in a
                // crash, the redelivery re-emits: at-least-once, never dropped.
                MarkDelivered(delivered.Source);
                PersistAsync(new PersistedDelivery(delivered.Source), _ => { });
                delivered.ReplyTo.Tell(new RecordProcessed(delivered.Source.Offset));
                break;
            case OutputsFailed failed:
                // The events are persisted: a retry of this record (same offset) re-emits, never
                // re-applies. An output topic that is only unavailable keeps the record retrying (the
                // host sees the cause) for as long as that lasts.
                throw new OutputEmitException($"emitting the outputs of offset {failed.Offset} failed: {failed.Cause.Message}", failed.Cause);
            case SaveSnapshotSuccess saved:
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
                break;
            case SaveSnapshotFailure failure:
                Log.Warning("Entity {0}: saving a snapshot failed ({1}); recovery replays more events until the next one succeeds", PersistenceId, failure.Cause.Message);
                break;
            case DeleteSnapshotsSuccess or DeleteSnapshotsFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>The journal failed to write: tell the host (retry with backoff, no dead-letter), then stop.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Context.Parent.Tell(new EntityStorageFailed(new EntityStorageException($"entity {PersistenceId}: persisting event {sequenceNr} failed: {cause.Message}", cause)));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Recovery failed (e.g. the database is down): tell the host (retry with backoff), then stop.</summary>
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Context.Parent.Tell(new EntityStorageFailed(new EntityStorageException($"entity {PersistenceId}: recovery failed: {reason.Message}", reason)));
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>The journal refused the events (e.g. serialization): fail the record (supervision decides).</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistRejected(cause, @event, sequenceNr);
        throw new EntityStorageRejectedException($"entity {PersistenceId}: the journal rejected event {sequenceNr}: {cause.Message}", cause);
    }

    private void Handle(ProcessRecord message)
    {
        var replyTo = Sender;
        var record = message.Record;
        var context = new RecordContext(message);
        var key = (record.Topic, record.Partition);
        if (_applied.TryGetValue(key, out var last))
        {
            if (record.Offset < last.Offset)
            {
                // Applied and its outputs delivered (the next record is only handled after this one was acknowledged).
                PipelineMetrics.RecordsAlreadyApplied.Add(1, new KeyValuePair<string, object?>("outputs", "delivered"));
                replyTo.Tell(new RecordProcessed(record.Offset));
                return;
            }

            if (record.Offset == last.Offset && last.Delivered)
            {
                PipelineMetrics.RecordsAlreadyApplied.Add(1, new KeyValuePair<string, object?>("outputs", "delivered"));
                replyTo.Tell(new RecordProcessed(record.Offset));
                return;
            }

            if (record.Offset == last.Offset)
            {
                // Applied, but the outputs may not have been delivered: emit them again, apply nothing.
                PipelineMetrics.RecordsAlreadyApplied.Add(1, new KeyValuePair<string, object?>("outputs", "re-emitted"));
                Emit(State, last.Events.Select(ReadEvent).ToList(), context);
                Deliver(context, record.Offset, replyTo);
                return;
            }
        }

        var events = Decide((TValue)message.Value!, State, context).ToList();
        if (events.Count == 0)
        {
            Emit(State, events, context);
            Deliver(context, record.Offset, replyTo);
            return;
        }

        var source = new RecordSource(record.Topic, record.Partition, record.Offset);
        var envelopes = events.Select(e => WriteEvent(source, e)).ToList();
        var applied = 0;
        PersistAll(envelopes, persisted =>
        {
            ApplyPersisted(persisted, events[applied]);
            applied++;
            _eventsSinceSnapshot++;
            if (applied < events.Count)
            {
                return;
            }

            if (_start.SnapshotEvery > 0 && _eventsSinceSnapshot >= _start.SnapshotEvery)
            {
                SaveSnapshot(TakeSnapshot());
                _eventsSinceSnapshot = 0;
            }

            Emit(State, events, context);
            Deliver(context, record.Offset, replyTo);
        });
    }

    private void Deliver(RecordContext context, long offset, IActorRef replyTo)
    {
        var source = new RecordSource(context.Record.Topic, context.Record.Partition, offset);
        if (context.Outputs.Count == 0)
        {
            MarkDelivered(source);
            replyTo.Tell(new RecordProcessed(offset));
            return;
        }

        replyTo.Tell(new OutputsInFlight(offset));
        ActorStreamExtension.Get(Context.System).Emitter.EmitAsync(context.Outputs).PipeTo(
            Self,
            success: () => new OutputsDelivered(source, replyTo),
            failure: ex => new OutputsFailed(offset, ex));
    }

    private void MarkDelivered(RecordSource source)
    {
        var key = (source.Topic, source.Partition);
        if (_applied.TryGetValue(key, out var last) && last.Offset == source.Offset && !last.Delivered)
        {
            _applied[key] = last with { Delivered = true };
        }
    }

    private void ApplyPersisted(PersistedEvent persisted, TEvent @event)
    {
        _state = Apply(State, @event);
        _hasState = true;
        var key = (persisted.Source.Topic, persisted.Source.Partition);
        if (_applied.TryGetValue(key, out var last) && last.Offset == persisted.Source.Offset)
        {
            _applied[key] = last with { Events = [.. last.Events, persisted] };
        }
        else
        {
            _applied[key] = new AppliedSource(persisted.Source.Topic, persisted.Source.Partition, persisted.Source.Offset, [persisted]);
        }
    }

    private PersistedSnapshot TakeSnapshot() =>
        new(StateVersion, JsonSerializer.SerializeToElement(State, EntityJson.Options), _applied.Values.ToList());

    private void RestoreSnapshot(PersistedSnapshot snapshot)
    {
        var node = JsonNode.Parse(snapshot.State.GetRawText());
        if (node is not null && snapshot.StateVersion < StateVersion)
        {
            node = UpgradeState(snapshot.StateVersion, node);
        }

        _state = node is null ? InitialState() : node.Deserialize<TState>(EntityJson.Options);
        _hasState = true;
        _applied.Clear();
        foreach (var source in snapshot.Applied)
        {
            _applied[(source.Topic, source.Partition)] = source;
        }

        _eventsSinceSnapshot = 0;
    }

    private sealed record OutputsDelivered(RecordSource Source, IActorRef ReplyTo);

    private sealed record OutputsFailed(long Offset, Exception Cause);

    /// <summary>Event type name/version ↔ CLR type, from <see cref="EventTypeAttribute"/>s.</summary>
    private sealed class EventTypeMap
    {
        private readonly Dictionary<string, (Type Type, int Version)> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<Type, (string Name, int Version)> _byType = new();

        public static EventTypeMap For(Type eventType)
        {
            var map = new EventTypeMap();
            var candidates = eventType.Assembly.GetTypes()
                .Where(t => !t.IsAbstract && !t.IsInterface && eventType.IsAssignableFrom(t))
                .ToList();
            foreach (var type in candidates)
            {
                var attribute = type.GetCustomAttribute<EventTypeAttribute>()
                    ?? throw new InvalidOperationException($"event type {type.FullName} needs an [EventType(\"Name\", version)] attribute: the journal stores events by that stable name, never by CLR type name");
                if (attribute.Version < 1 || string.IsNullOrWhiteSpace(attribute.Name))
                {
                    throw new InvalidOperationException($"event type {type.FullName}: [EventType] needs a non-empty name and a version >= 1");
                }

                if (!map._byName.TryAdd(attribute.Name, (type, attribute.Version)))
                {
                    throw new InvalidOperationException($"event type name '{attribute.Name}' is used by {map._byName[attribute.Name].Type.FullName} and {type.FullName}");
                }

                map._byType[type] = (attribute.Name, attribute.Version);
            }

            if (map._byName.Count == 0)
            {
                throw new InvalidOperationException($"no concrete event type with [EventType] derives from {eventType.FullName}");
            }

            return map;
        }

        public (Type Type, int Version) ByName(string name) =>
            _byName.TryGetValue(name, out var entry)
                ? entry
                : throw new InvalidOperationException($"unknown event type '{name}' in the journal (known: {string.Join(", ", _byName.Keys.Order())})");

        public (string Name, int Version) ByType(Type type) =>
            _byType.TryGetValue(type, out var entry)
                ? entry
                : throw new InvalidOperationException($"event type {type.FullName} has no [EventType] attribute");
    }
}

/// <summary>The entity's storage (journal or snapshot store) failed; the host retries the record with backoff for as long as it takes, never dead-letters it.</summary>
public sealed class EntityStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EntityStorageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The journal rejected an event (it could not be stored as given); supervision decides.</summary>
public sealed class EntityStorageRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EntityStorageRejectedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>Producing an entity's outputs failed; the record is retried (its outputs are emitted again, its events not applied again).</summary>
public sealed class OutputEmitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OutputEmitException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
