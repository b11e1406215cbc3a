using System.Text.Json;
using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace ActorStream.Persistence;

/// <summary>
/// Akka serializer (identifier <see cref="SerializerIdentifier"/>) for the journal and snapshot
/// envelopes of event-sourced entities: UTF-8 JSON with explicit field names, the event's stable type
/// name and version, no CLR type names. Manifests: <c>E1</c> (<see cref="PersistedEvent"/>, envelope
/// format 1), <c>D1</c> (<see cref="PersistedDelivery"/>) and <c>S1</c> (<see cref="PersistedSnapshot"/>). Bound in configuration by
/// <see cref="ActorStreamPersistence.SerializationConfig"/>.
/// </summary>
public sealed class EntityEventSerializer : SerializerWithStringManifest
{
    /// <summary>The fixed serializer identifier (stored with every journal row and snapshot).</summary>
    public const int SerializerIdentifier = 7_401;

    /// <summary>Manifest of <see cref="PersistedEvent"/>.</summary>
    public const string EventManifest = "E1";

    /// <summary>Manifest of <see cref="PersistedDelivery"/>.</summary>
    public const string DeliveryManifest = "D1";

    /// <summary>Manifest of <see cref="PersistedSnapshot"/>.</summary>
    public const string SnapshotManifest = "S1";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Created by Akka serialization.</summary>
    /// <param name="system">The actor system.</param>
    public EntityEventSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerIdentifier;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        PersistedEvent => EventManifest,
        PersistedDelivery => DeliveryManifest,
        PersistedSnapshot => SnapshotManifest,
        _ => throw new ArgumentException($"{nameof(EntityEventSerializer)} cannot serialize {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        PersistedEvent e => JsonSerializer.SerializeToUtf8Bytes(e, Options),
        PersistedDelivery d => JsonSerializer.SerializeToUtf8Bytes(d, Options),
        PersistedSnapshot s => JsonSerializer.SerializeToUtf8Bytes(s, Options),
        _ => throw new ArgumentException($"{nameof(EntityEventSerializer)} cannot serialize {obj.GetType()}", nameof(obj)),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        EventManifest => JsonSerializer.Deserialize<PersistedEvent>(bytes, Options) ?? throw new SerializationException("journal event is JSON null"),
        DeliveryManifest => JsonSerializer.Deserialize<PersistedDelivery>(bytes, Options) ?? throw new SerializationException("delivery marker is JSON null"),
        SnapshotManifest => JsonSerializer.Deserialize<PersistedSnapshot>(bytes, Options) ?? throw new SerializationException("snapshot is JSON null"),
        _ => throw new SerializationException($"unknown manifest '{manifest}' for {nameof(EntityEventSerializer)} (known: {EventManifest}, {DeliveryManifest}, {SnapshotManifest})"),
    };
}
