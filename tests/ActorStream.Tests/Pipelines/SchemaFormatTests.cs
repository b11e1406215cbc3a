using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using ActorStream.SchemaRegistry;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>The value formats json-schema and json-validated against our registry server and the embedded broker.</summary>
public sealed class SchemaFormatTests : PipelineSpec
{
    private const string SeqSchema = """
        {
          "$schema": "http://json-schema.org/draft-07/schema#",
          "type": "object",
          "properties": { "seq": { "type": "integer", "minimum": 1 } },
          "required": ["seq"]
        }
        """;

    private readonly Registry _registry;

    public SchemaFormatTests(ITestOutputHelper output)
        : this(Registry.Start(), output)
    {
    }

    private SchemaFormatTests(Registry registry, ITestOutputHelper output)
        : base(output, $"actorstream.schema-registry.url = \"{registry.Server.Url.ToString().TrimEnd('/')}\"")
    {
        _registry = registry;
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    [Fact]
    public async Task Json_schema_processes_wire_format_records_and_dead_letters_schema_failures_with_stage_schema()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Server.Url.ToString().TrimEnd('/') });
        var id = await client.RegisterSchemaAsync($"{topic}-value", new Schema(SeqSchema, SchemaType.Json));
        var serializer = new JsonSerializer<WireSeq>(client, new Schema(SeqSchema, SchemaType.Json),
            new JsonSerializerConfig { AutoRegisterSchemas = false, UseLatestVersion = true });

        async Task<byte[]> Wire(long seq) => await serializer.SerializeAsync(new WireSeq { Seq = seq }, new SerializationContext(MessageComponentType.Value, topic));

        var good1 = await Wire(1);
        Assert.Equal(0, good1[0]);
        Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(good1.AsSpan(1, 4)));
        var wrongType = WireBytes(id, """{"seq":"two"}""");
        var unknownId = WireBytes(id + 1000, """{"seq":2}""");
        ProduceBytes(topic, [
            ("a", good1),
            ("a", Encoding.UTF8.GetBytes("""{"seq":2}""")),
            ("a", wrongType),
            ("b", await Wire(7)),
            ("a", unknownId),
            ("a", await Wire(3)),
            ("a", await Wire(4)),
        ]);

        var settings = Settings("wire", topic, "Seq").WithValueFormat(ValueFormat.JsonSchema);
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= 4), TimeSpan.FromSeconds(30));
        var dlq = ReadAll($"{topic}.dlq", 1, 3);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1)[0] == EndOffsets(topic, 1)[0]), TimeSpan.FromSeconds(30));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1L, 3L, 4L], journal.Where(e => e.Key == "a").Select(e => e.Seq));
        Assert.Equal([7L], journal.Where(e => e.Key == "b").Select(e => e.Seq));
        Assert.Equal(3, dlq.Count);
        Assert.All(dlq, letter => Assert.Equal("schema", Header(letter, "actorstream.dlq.stage")));
        Assert.All(dlq, letter => Assert.Equal("a", letter.Message.Key));

        // Originals untouched, in offset order.
        Assert.Equal("""{"seq":2}""", Encoding.UTF8.GetString(dlq[0].Message.Value));
        Assert.Equal(wrongType, dlq[1].Message.Value);
        Assert.Equal(unknownId, dlq[2].Message.Value);

        Assert.Contains("wire format", Header(dlq[0], "actorstream.dlq.exception.message"));
        var violation = Header(dlq[1], "actorstream.dlq.exception.message");
        Assert.Contains("seq", violation);
        Assert.Contains("IntegerExpected", violation);
        Assert.Contains($"schema id {id + 1000} is not in the schema registry", Header(dlq[2], "actorstream.dlq.exception.message"));
    }

    [Fact]
    public async Task Json_validated_checks_plain_json_against_the_latest_schema_of_the_topic_subject()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Server.Url.ToString().TrimEnd('/') });
        await client.RegisterSchemaAsync($"{topic}-value", new Schema(SeqSchema, SchemaType.Json));
        Produce(topic, [("a", """{"seq":1}"""), ("a", """{"seq":0}"""), ("a", """{"other":true}"""), ("a", """{"seq":2}""")]);

        var settings = Settings("validated", topic, "Seq").WithValueFormat(ValueFormat.JsonValidated);
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= 2), TimeSpan.FromSeconds(30));
        var dlq = ReadAll($"{topic}.dlq", 1, 2);
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1L, 2L], journal.Select(e => e.Seq));
        Assert.Equal(2, dlq.Count);
        Assert.All(dlq, letter => Assert.Equal("schema", Header(letter, "actorstream.dlq.stage")));
        Assert.Contains("NumberTooSmall", Header(dlq[0], "actorstream.dlq.exception.message"));
        Assert.Contains("PropertyRequired", Header(dlq[1], "actorstream.dlq.exception.message"));
    }

    [Fact]
    public async Task An_unreachable_registry_holds_records_in_flight_instead_of_dead_lettering_them()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        var port = FreePort();
        Produce(topic, [("a", """{"seq":1}"""), ("a", """{"seq":2}""")]);
        using var system = Akka.Actor.ActorSystem.Create("down", Akka.Configuration.ConfigurationFactory
            .ParseString($"actorstream.schema-registry.url = \"http://127.0.0.1:{port}\"")
            .WithFallback(NodeConfig(Kafka.BootstrapServers)));
        JoinSelf(system);
        ActorStreamExtension.Get(system).Entities.Register<SeqEntity>("Seq");

        var settings = Settings("down", topic, "Seq").WithValueFormat(ValueFormat.JsonValidated);
        var pipeline = Pipeline.Start(system, settings);
        var journal = Journal.For(topic);

        // Nothing is processed, nothing dead-lettered, nothing committed while the registry is down.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(journal);
        AssertNoDeadLetters($"{topic}.dlq", 1);

        // The registry comes up (on the configured port) already holding the subject's schema — registered
        // beforehand through another port, so the pipeline's retry never sees a registry without it:
        // the waiting records flow, in order.
        var path = Path.Combine(Path.GetTempPath(), $"as-registry-{Guid.NewGuid():N}.db");
        await using (var elsewhere = await SchemaRegistryServer.StartAsync(SchemaRegistrySettings.Create().WithSqlitePath(path).WithHost("127.0.0.1").WithPort(FreePort())))
        {
            using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = elsewhere.Url.ToString().TrimEnd('/') });
            await client.RegisterSchemaAsync($"{topic}-value", new Schema(SeqSchema, SchemaType.Json));
        }

        await using (var late = await SchemaRegistryServer.StartAsync(SchemaRegistrySettings.Create().WithSqlitePath(path).WithHost("127.0.0.1").WithPort(port)))
        {
            await AwaitConditionAsync(() => Task.FromResult(journal.Count >= 2), TimeSpan.FromSeconds(30));
            await pipeline.StopAsync(TimeSpan.FromSeconds(30));
        }

        Registry.Delete(path);
        Assert.Equal([1L, 2L], journal.Select(e => e.Seq));
        AssertNoDeadLetters($"{topic}.dlq", 1);
        await system.Terminate();
    }

    [Fact]
    public async Task Emit_format_json_schema_writes_outputs_in_wire_format_and_dead_letters_outputs_that_fail_the_schema()
    {
        var topic = NewTopic(1);
        var output = $"{topic}.out";
        Kafka.CreateTopic(output, 1);
        const string outputSchema = """
            {
              "$schema": "http://json-schema.org/draft-07/schema#",
              "type": "object",
              "properties": { "key": { "type": "string" }, "seq": { "type": "integer", "maximum": 100 } },
              "required": ["key", "seq"]
            }
            """;
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Server.Url.ToString().TrimEnd('/') });
        var id = await client.RegisterSchemaAsync($"{output}-value", new Schema(outputSchema, SchemaType.Json));
        Produce(topic, [("a", """{"seq":1}"""), ("a", """{"seq":500}"""), ("a", """{"seq":2}"""), ("b", """{"seq":3}""")]);

        var settings = Settings("emits", topic, "Seq").WithEmitFormat(EmitFormat.JsonSchema);
        var pipeline = Pipeline.Start(Sys, settings);
        var outputs = ReadAll(output, 1, 3);
        var dlq = ReadAll($"{topic}.dlq", 1, 1);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1)[0] == EndOffsets(topic, 1)[0]), TimeSpan.FromSeconds(30));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        // Readable by Confluent's deserializer, with the registered schema id in the frame.
        var deserializer = new JsonDeserializer<WireOutput>(client, new JsonDeserializerConfig());
        var read = new List<WireOutput>();
        foreach (var record in outputs)
        {
            Assert.Equal(0, record.Message.Value[0]);
            Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(record.Message.Value.AsSpan(1, 4)));
            read.Add(await deserializer.DeserializeAsync(record.Message.Value, false, new SerializationContext(MessageComponentType.Value, output)));
        }

        Assert.Equal(["a:1", "a:2", "b:3"], read.Select(o => $"{o.Key}:{o.Seq}").OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(3, ReadToEnd(output, 1).Count);

        // The invalid output was never written: its record went through retry to the DLQ with the reasons.
        var letter = Assert.Single(dlq);
        Assert.Equal("""{"seq":500}""", Encoding.UTF8.GetString(letter.Message.Value));
        Assert.Equal("handler", Header(letter, "actorstream.dlq.stage"));
        Assert.Equal("ActorStream.Entities.OutputSchemaException", Header(letter, "actorstream.dlq.exception.type"));
        Assert.Equal(
            $"output to topic '{output}' refused (emit-format = json-schema, subject '{output}-value'): the value does not match schema id {id} (version 1): #/seq: NumberTooBig",
            Header(letter, "actorstream.dlq.exception.message"));
    }

    [Fact]
    public async Task During_a_long_dlq_outage_each_poison_record_of_every_stage_is_dead_lettered_exactly_once()
    {
        var topic = NewTopic(1, withDlq: false);
        Kafka.CreateTopic($"{topic}.out", 1);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Server.Url.ToString().TrimEnd('/') });
        await client.RegisterSchemaAsync($"{topic}-value", new Schema(SeqSchema, SchemaType.Json));
        ProduceBytes(topic, [
            ("a", Encoding.UTF8.GetBytes("""{"seq":1}""")),
            ("a", Encoding.UTF8.GetBytes("""{"seq":"two"}""")),                // schema
            ("b", Encoding.UTF8.GetBytes("""{"seq":2,"fail":"not a bool"}""")), // deserialize
            (null, Encoding.UTF8.GetBytes("""{"seq":3}""")),                   // no key: deserialize
            ("c", Encoding.UTF8.GetBytes("""{"seq":4,"fail":true}""")),        // handler
            ("d", Encoding.UTF8.GetBytes("""{"seq":5,"hangAttempts":99}""")),  // timeout
            ("a", Encoding.UTF8.GetBytes("""{"seq":6}""")),
        ]);

        // The DLQ topic does not exist yet and producers may not create it: every dead-letter write
        // fails (after 1 s) and is retried, for many ack-timeout periods.
        using var system = Akka.Actor.ActorSystem.Create("dlq-once", Akka.Configuration.ConfigurationFactory.ParseString($$"""
            actorstream.schema-registry.url = "{{_registry.Server.Url.ToString().TrimEnd('/')}}"
            actorstream.kafka.producer.properties { "allow.auto.create.topics" = false, "message.timeout.ms" = 1000 }
            """).WithFallback(NodeConfig(Kafka.BootstrapServers)));
        JoinSelf(system);
        ActorStreamExtension.Get(system).Entities.Register<SeqEntity>("Seq");
        var settings = Settings("dlq-once", topic, "Seq").WithValueFormat(ValueFormat.JsonValidated)
            .WithNullKeyPolicy(NullKeyPolicy.DeadLetter).WithAckTimeout(TimeSpan.FromMilliseconds(300));
        var pipeline = Pipeline.Start(system, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Any(e => e.Key == "d" && e.Attempt == 3) && journal.Any(e => e.Key == "a" && e.Seq == 1)), TimeSpan.FromSeconds(30));
        var outage = System.Diagnostics.Stopwatch.StartNew();
        while (outage.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(100);
            Assert.InRange(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0), 0, 1); // never past the first poison record
        }

        Kafka.CreateTopic($"{topic}.dlq", 1);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 7), TimeSpan.FromSeconds(60));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        var dlq = ReadToEnd($"{topic}.dlq", 1);
        Assert.Equal(
            ["1:schema", "2:deserialize", "3:deserialize", "4:handler", "5:timeout"],
            dlq.Select(l => $"{Header(l, "actorstream.dlq.original.offset")}:{Header(l, "actorstream.dlq.stage")}").Order(StringComparer.Ordinal));
        Assert.Equal([1L, 6L], journal.Where(e => e.Key == "a").Select(e => e.Seq));
        await system.Terminate();
    }

    [Fact]
    public async Task Emit_format_json_schema_with_the_registry_unreachable_waits_and_dead_letters_nothing()
    {
        var topic = NewTopic(1);
        var output = $"{topic}.out";
        Kafka.CreateTopic(output, 1);
        var port = FreePort();
        Produce(topic, [("a", """{"seq":1}"""), ("a", """{"seq":2}"""), ("b", """{"seq":3}""")]);
        using var system = Akka.Actor.ActorSystem.Create("emit-down", Akka.Configuration.ConfigurationFactory
            .ParseString($"actorstream.schema-registry.url = \"http://127.0.0.1:{port}\"")
            .WithFallback(NodeConfig(Kafka.BootstrapServers)));
        JoinSelf(system);
        ActorStreamExtension.Get(system).Entities.Register<SeqEntity>("Seq");
        var settings = Settings("emit-down", topic, "Seq").WithEmitFormat(EmitFormat.JsonSchema).WithAckTimeout(TimeSpan.FromMilliseconds(500));
        var pipeline = Pipeline.Start(system, settings);
        var journal = Journal.For(topic);

        // Longer than the retry budget (3 attempts, 10-50 ms backoff, 500 ms ack-timeout): nothing
        // written, nothing dead-lettered, nothing committed.
        await AwaitConditionAsync(() => Task.FromResult(journal.Count(e => e.Key == "a") >= 4), TimeSpan.FromSeconds(30));
        var outage = System.Diagnostics.Stopwatch.StartNew();
        while (outage.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(100);
            Assert.Empty(Committed(settings.GroupId, topic, 1));
        }

        AssertNoDeadLetters($"{topic}.dlq", 1);
        Assert.Empty(ReadToEnd(output, 1));

        // The registry comes up on the configured port already holding the output subject's schema
        // (registered through another port first, so no retry sees it without the schema).
        var path = Path.Combine(Path.GetTempPath(), $"as-registry-{Guid.NewGuid():N}.db");
        await using (var elsewhere = await SchemaRegistryServer.StartAsync(SchemaRegistrySettings.Create().WithSqlitePath(path).WithHost("127.0.0.1").WithPort(FreePort())))
        {
            using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = elsewhere.Url.ToString().TrimEnd('/') });
            await client.RegisterSchemaAsync($"{output}-value", new Schema(SeqSchema, SchemaType.Json));
        }

        await using (var late = await SchemaRegistryServer.StartAsync(SchemaRegistrySettings.Create().WithSqlitePath(path).WithHost("127.0.0.1").WithPort(port)))
        {
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 3), TimeSpan.FromSeconds(60));
            await pipeline.StopAsync(TimeSpan.FromSeconds(30));
        }

        Registry.Delete(path);
        AssertNoDeadLetters($"{topic}.dlq", 1);
        Assert.Equal(["a:1", "a:2", "b:3"], ReadToEnd(output, 1).Select(o => $"{o.Message.Key}:{JsonFrom(o.Message.Value).GetProperty("seq").GetInt64()}").Order(StringComparer.Ordinal));
        await system.Terminate();
    }

    private static System.Text.Json.JsonElement JsonFrom(byte[] wire) => System.Text.Json.JsonDocument.Parse(wire.AsMemory(5)).RootElement;

    [Fact]
    public void Emit_format_json_schema_without_a_registry_is_refused_naming_the_key()
    {
        using var system = Akka.Actor.ActorSystem.Create("noregistry-emits", NodeConfig(Kafka.BootstrapServers));
        ActorStreamExtension.Get(system).Entities.Register<SeqEntity>("Seq");
        var settings = Settings("noregistry", "t-none", "Seq").WithEmitFormat(EmitFormat.JsonSchema);
        var ex = Assert.Throws<PipelineConfigurationException>(() => Pipeline.Start(system, settings));
        Assert.Equal("emit-format", ex.Key);
        Assert.Contains("json-schema needs a schema registry", ex.Message);
    }

    [Fact]
    public void A_schema_format_without_a_registry_is_refused_naming_the_key()
    {
        using var system = Akka.Actor.ActorSystem.Create("noregistry", NodeConfig(Kafka.BootstrapServers));
        ActorStreamExtension.Get(system).Entities.Register<SeqEntity>("Seq");
        var settings = Settings("noregistry", "t-none", "Seq").WithValueFormat(ValueFormat.JsonSchema);
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SCHEMA_REGISTRY_URL")))
        {
            throw new InvalidOperationException("SCHEMA_REGISTRY_URL is set in the test environment; this test needs it unset");
        }

        var ex = Assert.Throws<PipelineConfigurationException>(() => Pipeline.Start(system, settings));
        Assert.Equal("value-format", ex.Key);
        Assert.Contains("actorstream.schema-registry.url", ex.Message);
        Assert.Contains("SCHEMA_REGISTRY_URL", ex.Message);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _registry.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static byte[] WireBytes(int schemaId, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1, 4), schemaId);
        payload.CopyTo(bytes, 5);
        return bytes;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void ProduceBytes(string topic, IEnumerable<(string? Key, byte[] Value)> records)
    {
        using var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
        }).Build();
        foreach (var (key, value) in records)
        {
            producer.Produce(topic, new Message<string?, byte[]> { Key = key, Value = value });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    /// <summary>The value as Confluent's serializer writes it (lower-case property name, as in the schema).</summary>
    public sealed class WireSeq
    {
        [Newtonsoft.Json.JsonProperty("seq")]
        public long Seq { get; set; }
    }

    /// <summary>An output of SeqEntity as Confluent's deserializer reads it.</summary>
    public sealed class WireOutput
    {
        [Newtonsoft.Json.JsonProperty("key")]
        public string Key { get; set; } = "";

        [Newtonsoft.Json.JsonProperty("seq")]
        public long Seq { get; set; }
    }

    /// <summary>A registry server on a free port with a temporary SQLite file.</summary>
    private sealed class Registry : IAsyncDisposable
    {
        private Registry(SchemaRegistryServer server, string path)
        {
            Server = server;
            DatabasePath = path;
        }

        public SchemaRegistryServer Server { get; }

        public string DatabasePath { get; }

        public static Registry Start()
        {
            var path = Path.Combine(Path.GetTempPath(), $"as-registry-{Guid.NewGuid():N}.db");
            var server = SchemaRegistryServer.StartAsync(SchemaRegistrySettings.Create().WithSqlitePath(path).WithHost("127.0.0.1").WithPort(0))
                .GetAwaiter().GetResult();
            return new Registry(server, path);
        }

        public static void Delete(string path)
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Delete(DatabasePath);
        }
    }
}
