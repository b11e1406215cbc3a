using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream produce</c>: plain JSON and JSON Schema records against an <c>actorstream kafka</c> process and a registry.</summary>
public sealed class ProduceCommandTests(InProcessRegistryFixture registry) : IClassFixture<InProcessRegistryFixture>, IDisposable
{
    private const string OrderSchema = """{"type":"object","properties":{"id":{"type":"string"},"qty":{"type":"integer","minimum":1}},"required":["id","qty"]}""";

    private static readonly Dictionary<string, string?> CleanEnvironment = new()
    {
        ["KAFKA_BOOTSTRAP_SERVERS"] = null,
        ["SCHEMA_REGISTRY_URL"] = null,
        ["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"] = null,
    };

    // Errors are found before anything is produced, so these never reach a broker.
    private const string NoBroker = "actorstream.kafka.bootstrap-servers=127.0.0.1:1";

    private readonly string _directory = Directory.CreateTempSubdirectory("produce-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Json_and_json_schema_records_round_trip_through_a_Confluent_consumer_and_deserializer()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "plain:3", "--topic", "orders:2", "--topic", "auto:1");
        var bootstrap = $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}";

        // json: a JSONL file, keys and a header.
        var file = Write("plain.jsonl", """
            {"key":"k1","value":{"n":1}}

            {"key":null,"value":[1,2]}
            {"key":"k1","value":{"n":3}}
            """);
        var plain = await Produce("--topic", "plain", "--file", file, "--header", "source=test", "--set", bootstrap);
        Assert.True(plain.ExitCode == 0, $"{plain.ExitCode}\n{plain.Stdout}\n{plain.Stderr}");
        Assert.StartsWith("wrote 3 record(s) to plain (json): partition ", plain.Stdout.Trim());
        var plainRecords = Read(kafka.BootstrapServers, "plain", 3, 3);
        Assert.Equal(["k1:{\"n\":1}", "k1:{\"n\":3}"], plainRecords.Where(r => r.Message.Key == "k1").Select(r => $"k1:{Encoding.UTF8.GetString(r.Message.Value)}"));
        Assert.Equal("[1,2]", Encoding.UTF8.GetString(Assert.Single(plainRecords, r => r.Message.Key is null).Message.Value));
        Assert.All(plainRecords, r => Assert.Equal("test", Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("source"))));

        // json-schema with the subject's latest version (nothing registered by the command).
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var id = await client.RegisterSchemaAsync("orders-value", new Schema(OrderSchema, SchemaType.Json));
        var wired = await Produce("--topic", "orders", "--key", "o-1", "--value", """{"id":"o-1","qty":2}""", "--format", "json-schema", "--registry", registry.Url, "--set", bootstrap);
        Assert.True(wired.ExitCode == 0, $"{wired.ExitCode}\n{wired.Stdout}\n{wired.Stderr}");
        Assert.StartsWith("wrote 1 record(s) to orders (json-schema): partition ", wired.Stdout.Trim());
        var order = Assert.Single(Read(kafka.BootstrapServers, "orders", 2, 1));
        Assert.Equal("o-1", order.Message.Key);
        Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(order.Message.Value.AsSpan(1, 4)));
        var deserializer = new JsonDeserializer<Order>(client);
        var read = await deserializer.DeserializeAsync(order.Message.Value, false, new SerializationContext(MessageComponentType.Value, "orders"));
        Assert.Equal(("o-1", 2), (read.Id, read.Qty));

        // --auto-register registers the --schema file under <topic>-value (registry from the environment).
        var environment = new Dictionary<string, string?>(CleanEnvironment) { ["SCHEMA_REGISTRY_URL"] = registry.Url };
        var auto = await Actorstream.RunWithEnvironmentAsync(environment, "produce", "--topic", "auto", "--key", "x", "--value", """{"id":"x","qty":1}""",
            "--format", "json-schema", "--auto-register", "--schema", Write("order.json", OrderSchema), "--set", bootstrap);
        Assert.True(auto.ExitCode == 0, $"{auto.ExitCode}\n{auto.Stdout}\n{auto.Stderr}");
        Assert.Equal(id, (await client.GetLatestSchemaAsync("auto-value")).Id);
        Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(Assert.Single(Read(kafka.BootstrapServers, "auto", 1, 1)).Message.Value.AsSpan(1, 4)));
    }

    [Fact]
    public async Task An_invalid_JSON_line_is_refused_with_its_line_number_and_nothing_is_written()
    {
        var file = Write("bad.jsonl", "{\"key\":\"a\",\"value\":{}}\n{\"key\":\"b\",\"value\":{oops}}\n");
        var (exit, stdout, stderr) = await Produce("--topic", "t", "--file", file, "--set", NoBroker);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith($"actorstream produce: error: --file {file} line 2: invalid JSON: ", stderr.Trim());
    }

    [Fact]
    public async Task A_missing_topic_and_an_unknown_format_are_usage_errors()
    {
        var missing = await Produce("--value", "{}", "--set", NoBroker);
        Assert.Equal((2, "actorstream produce: error: --topic is required: the topic to write to"), (missing.ExitCode, missing.Stderr.Trim()));

        var format = await Produce("--topic", "t", "--value", "{}", "--format", "avro", "--set", NoBroker);
        Assert.Equal((2, "actorstream produce: error: --format 'avro' is unknown; expected json or json-schema"), (format.ExitCode, format.Stderr.Trim()));
    }

    [Fact]
    public async Task A_value_that_fails_the_schema_exits_1_with_the_validation_errors()
    {
        var topic = $"orders-{Guid.NewGuid():N}";
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var id = await client.RegisterSchemaAsync($"{topic}-value", new Schema(OrderSchema, SchemaType.Json));

        var (exit, stdout, stderr) = await Produce("--topic", topic, "--key", "o", "--value", """{"id":"o","qty":0}""", "--format", "json-schema", "--registry", registry.Url, "--set", NoBroker);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"actorstream produce: error: --value: the value is not valid for subject {topic}-value (schema id {id}): #/qty: NumberTooSmall; nothing was written", stderr.Trim());

        var unknown = await Produce("--topic", "nosuch", "--value", "{}", "--format", "json-schema", "--registry", registry.Url, "--set", NoBroker);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("actorstream produce: error: subject nosuch-value has no schema in the registry", unknown.Stderr.Trim());
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> Produce(params string[] arguments) =>
        Actorstream.RunWithEnvironmentAsync(CleanEnvironment, ["produce", .. arguments]);

    private static List<ConsumeResult<string?, byte[]>> Read(string bootstrapServers, string topic, int partitions, int expected)
    {
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = $"read-{Guid.NewGuid():N}", EnableAutoCommit = false }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<ConsumeResult<string?, byte[]>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (records.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
            {
                records.Add(record);
            }
        }

        Assert.Equal(expected, records.Count);
        return records;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>An order as Confluent's deserializer reads it.</summary>
    public sealed class Order
    {
        [Newtonsoft.Json.JsonProperty("id")]
        public string Id { get; set; } = "";

        [Newtonsoft.Json.JsonProperty("qty")]
        public int Qty { get; set; }
    }
}
