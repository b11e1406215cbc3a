using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using ActorStream.Persistence;

namespace ActorStream.Tests.Persistence;

public sealed class EntityEventSerializerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("serializer-tests-").FullName;
    private readonly ActorSystem _system;

    public EntityEventSerializerTests()
    {
        _system = ActorSystem.Create("serializer", ConfigurationFactory.ParseString($"actorstream.persistence.sqlite.path = \"{Path.Combine(_directory, "s.db")}\"")
            .WithFallback(ActorStreamPersistence.SerializationConfig));
        ActorStreamPersistence.Get(_system);
    }

    [Fact]
    public void Events_and_snapshots_are_bound_to_the_fixed_identifier_and_round_trip()
    {
        var e = new PersistedEvent(new RecordSource("accounts", 3, 42), "AmountApplied", 2, JsonSerializer.SerializeToElement(new { accountId = "a-1", seq = 7, amount = 1.5m }));
        Assert.IsType<EntityEventSerializer>(_system.Serialization.FindSerializerForType(typeof(PersistedEvent), null));
        Assert.IsType<EntityEventSerializer>(_system.Serialization.FindSerializerForType(typeof(PersistedEvent), "json"));
        var serializer = _system.Serialization.FindSerializerFor(e);
        Assert.IsType<EntityEventSerializer>(serializer);
        Assert.Equal(EntityEventSerializer.SerializerIdentifier, serializer.Identifier);

        var bytes = serializer.ToBinary(e);
        var back = (PersistedEvent)_system.Serialization.Deserialize(bytes, EntityEventSerializer.SerializerIdentifier, EntityEventSerializer.EventManifest);
        Assert.Equal(e.Source, back.Source);
        Assert.Equal("AmountApplied", back.EventType);
        Assert.Equal(2, back.Version);
        Assert.Equal(e.Data.GetRawText(), back.Data.GetRawText());

        // Stable, readable JSON: names, no CLR type names.
        var json = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\"eventType\":\"AmountApplied\"", json);
        Assert.DoesNotContain("ActorStream", json);

        var snapshot = new PersistedSnapshot(1, JsonSerializer.SerializeToElement(new { balance = 3m }), [new AppliedSource("accounts", 3, 42, [e])]);
        var snapshotBytes = _system.Serialization.FindSerializerFor(snapshot).ToBinary(snapshot);
        var snapshotBack = (PersistedSnapshot)_system.Serialization.Deserialize(snapshotBytes, EntityEventSerializer.SerializerIdentifier, EntityEventSerializer.SnapshotManifest);
        Assert.Equal(42, Assert.Single(snapshotBack.Applied).Offset);
        Assert.Equal("AmountApplied", Assert.Single(snapshotBack.Applied[0].Events).EventType);
        Assert.Equal("{\"balance\":3}", snapshotBack.State.GetRawText());
    }

    [Fact]
    public async Task The_configuration_binding_gives_the_same_serializer()
    {
        using var system = ActorSystem.Create("bound", ActorStreamPersistence.SerializationConfig);
        var serializer = system.Serialization.FindSerializerForType(typeof(PersistedEvent));
        Assert.IsType<EntityEventSerializer>(serializer);
        Assert.Equal(EntityEventSerializer.SerializerIdentifier, serializer.Identifier);
        await system.Terminate();
    }

    [Fact]
    public async Task A_system_without_the_serializer_binding_is_refused_with_the_key()
    {
        using var system = ActorSystem.Create("unbound", ConfigurationFactory.ParseString($"actorstream.persistence.sqlite.path = \"{Path.Combine(_directory, "u.db")}\""));
        var ex = Assert.ThrowsAny<Exception>(() => ActorStreamPersistence.Get(system));
        Assert.Contains("akka.actor.serializers.actorstream-entity-events", (ex.InnerException ?? ex).Message);
        await system.Terminate();
    }

    [Fact]
    public void An_unknown_manifest_is_refused()
    {
        var serializer = new EntityEventSerializer((ExtendedActorSystem)_system);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "X9"));
    }

    public void Dispose()
    {
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
