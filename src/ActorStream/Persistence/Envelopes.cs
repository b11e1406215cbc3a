using System.Text.Json;
using ActorStream.Entities;

namespace ActorStream.Persistence;

/// <summary>The Kafka record an event was derived from: the entity's de-duplication key.</summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
public sealed record RecordSource(string Topic, int Partition, long Offset);

/// <summary>
/// What an <see cref="EventSourcedEntity{TValue, TState, TEvent}"/> writes to the journal for every
/// event: the record it came from, the event's stable type name and schema version, and the event
/// itself as JSON. Serialized by <see cref="EntityEventSerializer"/> (never by CLR type name), so
/// events can be renamed in code, gain fields, and be upgraded when read.
/// </summary>
/// <param name="Source">The Kafka record the event was derived from.</param>
/// <param name="EventType">Stable event type name (<see cref="EventTypeAttribute"/>).</param>
/// <param name="Version">Schema version of <paramref name="Data"/>.</param>
/// <param name="Data">The event as JSON.</param>
public sealed record PersistedEvent(RecordSource Source, string EventType, int Version, JsonElement Data);

/// <summary>
/// Journaled after the outputs of the record at <paramref name="Source"/> were acknowledged by Kafka:
/// a redelivery of that record then needs no re-emit.
/// </summary>
/// <param name="Source">The record whose outputs were delivered.</param>
public sealed record PersistedDelivery(RecordSource Source);

/// <summary>The last record applied from one source partition, with the events it produced (for re-emitting).</summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Offset of the last applied record.</param>
/// <param name="Events">The events that record produced.</param>
/// <param name="Delivered">True once its outputs are known to be delivered.</param>
public sealed record AppliedSource(string Topic, int Partition, long Offset, IReadOnlyList<PersistedEvent> Events, bool Delivered = false);

/// <summary>A snapshot of an event-sourced entity: its state as JSON (with a version) and the last applied offsets.</summary>
/// <param name="StateVersion">Schema version of <paramref name="State"/>.</param>
/// <param name="State">The state as JSON.</param>
/// <param name="Applied">The last applied record per source partition.</param>
public sealed record PersistedSnapshot(int StateVersion, JsonElement State, IReadOnlyList<AppliedSource> Applied);

/// <summary>
/// The stable name and schema version under which an event type is journaled. Required on every event
/// type of an <see cref="EventSourcedEntity{TValue, TState, TEvent}"/>. Keep the name when renaming
/// the class; raise the version when the JSON shape changes incompatibly and upgrade old versions in
/// <see cref="EventSourcedEntity{TValue, TState, TEvent}.UpgradeEvent"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventTypeAttribute : Attribute
{
    /// <summary>Names an event type.</summary>
    /// <param name="name">Stable name, e.g. <c>AmountApplied</c>.</param>
    /// <param name="version">Current schema version, &gt;= 1.</param>
    public EventTypeAttribute(string name, int version = 1)
    {
        Name = name;
        Version = version;
    }

    /// <summary>The stable name.</summary>
    public string Name { get; }

    /// <summary>The current schema version.</summary>
    public int Version { get; }
}
