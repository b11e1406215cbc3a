using System.Buffers.Binary;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Confluent's JSON serializer and deserializer against the registry: auto-registration and the wire format.</summary>
public sealed class SerdesTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_record_round_trips_through_the_wire_format_with_an_auto_registered_schema()
    {
        using var client = fixture.Client();
        var topic = Rest.Subject("transactions");
        var serializer = new JsonSerializer<Transaction>(client, new JsonSerializerConfig { AutoRegisterSchemas = true });
        var deserializer = new JsonDeserializer<Transaction>(client);
        var record = new Transaction { AccountId = "a-1", Seq = 7, Amount = 10.5 };
        var context = new SerializationContext(MessageComponentType.Value, topic);

        var bytes = await serializer.SerializeAsync(record, context);

        // Confluent wire format: magic byte 0, then the schema id (big-endian int32), then the JSON.
        Assert.Equal(0, bytes[0]);
        var id = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1, 4));
        var registered = await client.GetLatestSchemaAsync($"{topic}-value");
        Assert.Equal(registered.Id, id);
        Assert.Equal(SchemaType.Json, registered.SchemaType);

        var back = await deserializer.DeserializeAsync(bytes, isNull: false, context);
        Assert.Equal((record.AccountId, record.Seq, record.Amount), (back.AccountId, back.Seq, back.Amount));

        // A second serializer (new client, empty cache) finds the same schema: registration is idempotent.
        using var other = fixture.Client();
        var again = await new JsonSerializer<Transaction>(other).SerializeAsync(new Transaction { AccountId = "a-2", Seq = 1, Amount = 1 }, context);
        Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(again.AsSpan(1, 4)));
        Assert.Equal([1], await client.GetSubjectVersionsAsync($"{topic}-value"));
    }

    [Fact]
    public async Task The_serializer_refuses_a_record_type_incompatible_with_the_registered_schema()
    {
        using var client = fixture.Client();
        var topic = Rest.Subject("transactions");
        var context = new SerializationContext(MessageComponentType.Value, topic);
        await new JsonSerializer<Transaction>(client).SerializeAsync(new Transaction { AccountId = "a", Seq = 1, Amount = 1 }, context);

        var renamed = new JsonSerializer<TransactionWithTextAmount>(client);
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            renamed.SerializeAsync(new TransactionWithTextAmount { AccountId = "a", Seq = 1, Amount = "1" }, context));
        var registryError = Assert.IsType<SchemaRegistryException>(error is SchemaRegistryException ? error : error.InnerException);
        Assert.Equal(409, registryError.ErrorCode);
    }

    /// <summary>The sample pipeline's transaction record.</summary>
    public sealed class Transaction
    {
        public string AccountId { get; set; } = "";

        public long Seq { get; set; }

        public double Amount { get; set; }
    }

    /// <summary>The same record with the amount as text: a type change.</summary>
    public sealed class TransactionWithTextAmount
    {
        public string AccountId { get; set; } = "";

        public long Seq { get; set; }

        public string Amount { get; set; } = "";
    }
}
