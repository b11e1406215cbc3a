using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActorStream.Benchmarks.Harness;
using ActorStream.Entities;
using ActorStream.Persistence;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using ActorStream.TestKit;
using ActorStream.TestKit.Postgres;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Persistence;
using Confluent.Kafka;

namespace ActorStream.Benchmarks.Scenarios;

/// <summary>Record value of the benchmark entity.</summary>
public sealed record BenchValue(long Seq, decimal Amount);

/// <summary>State of the benchmark entity.</summary>
public sealed record BenchState(long Count, decimal Balance);

/// <summary>Event of the benchmark entity.</summary>
[EventType("BenchCredited", 1)]
public sealed record BenchCredited(long Seq, decimal Amount, decimal Balance);

/// <summary>The sample Account entity's shape: one event per record, one output per record.</summary>
public sealed class BenchLedger : EventSourcedEntity<BenchValue, BenchState, BenchCredited>
{
    protected override BenchState InitialState() => new(0, 0m);

    protected override IEnumerable<BenchCredited> Decide(BenchValue value, BenchState state, RecordContext context) =>
        [new BenchCredited(value.Seq, value.Amount, state.Balance + value.Amount)];

    protected override BenchState Apply(BenchState state, BenchCredited e) => new(state.Count + 1, e.Balance);

    protected override void Emit(BenchState state, IReadOnlyList<BenchCredited> events, RecordContext context)
    {
        foreach (var e in events)
        {
            context.Emit("bench-persist.out", EntityId, new { key = EntityId, seq = e.Seq, balance = e.Balance });
        }
    }
}

/// <summary>
/// Entity state throughput and recovery, per store (SQLite file, PostgreSQL server), side by side in
/// one run: records/s through a pipeline of event-sourced entities (consume, decide, persist event,
/// emit, ack, delivery marker, commit) vs a raw batched INSERT of the same journal rows into the same
/// table; and the time to recover an entity with 10k events without and with a snapshot.
/// </summary>
public sealed class PersistBenchmark : IBenchmark
{
    private const string OutOption = "--out";
    private const string MessagesOption = "--messages";
    private const string KeysOption = "--keys";
    private const string PartitionsOption = "--partitions";
    private const string RoundsOption = "--rounds";
    private const string WarmupOption = "--warmup";
    private const string StoresOption = "--stores";
    private const string RecoveryEventsOption = "--recovery-events";

    public string Name => "persist";

    public string Summary => "Event-sourced entities: pipeline records/s vs a raw batched insert of the same journal rows, and recovery time with/without snapshot, on SQLite and PostgreSQL.";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new(OutOption, "FILE", "JSON result file", null),
        new(MessagesOption, "N", "records per pipeline run (each persists an event and a delivery marker)", "5000"),
        new(KeysOption, "K", "distinct keys (entities)", "200"),
        new(PartitionsOption, "P", "partitions of the input topic", "4"),
        new(RoundsOption, "R", "measured rounds, variants interleaved", "3"),
        new(WarmupOption, "W", "warm-up rounds", "1"),
        new(StoresOption, "LIST", "sqlite,postgresql (PostgreSQL: ACTORSTREAM_POSTGRES_CONNECTION, else a throwaway server)", "sqlite,postgresql"),
        new(RecoveryEventsOption, "N", "events of the entity whose recovery is timed", "10000"),
    ];

    public async Task<int> RunAsync(ParsedOptions options, CancellationToken cancellationToken)
    {
        var outFile = options.RequiredString(OutOption);
        var messages = options.Int(MessagesOption, 5000, 100, 1_000_000);
        var keys = options.Int(KeysOption, 200, 1, 100_000);
        var partitions = options.Int(PartitionsOption, 4, 1, 64);
        var rounds = options.Int(RoundsOption, 3, 1, 50);
        var warmups = options.Int(WarmupOption, 1, 0, 10);
        var recoveryEvents = options.Int(RecoveryEventsOption, 10_000, 10, 1_000_000);
        var stores = (options.OptionalString(StoresOption) ?? "sqlite,postgresql").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var total = Stopwatch.StartNew();

        using var kafka = EmbeddedKafka.Start(1);
        kafka.CreateTopic("bench-persist.out", partitions);
        var directory = Directory.CreateTempSubdirectory("bench-persist-").FullName;
        PostgresServer? server = null;
        var results = new JsonObject();
        var markdown = new StringBuilder();
        try
        {
            foreach (var store in stores)
            {
                string storeHocon;
                Func<DbConnection> open;
                if (store == "sqlite")
                {
                    var file = Path.Combine(directory, "bench.db");
                    storeHocon = $"actorstream.persistence.sqlite.path = \"{file}\"";
                    open = () => new Microsoft.Data.Sqlite.SqliteConnection(new EntityStoreSettings { SqlitePath = file }.ConnectionString);
                }
                else if (store == "postgresql")
                {
                    var connection = Environment.GetEnvironmentVariable(EntityStoreSettings.PostgresConnectionEnvironmentVariable);
                    if (string.IsNullOrWhiteSpace(connection))
                    {
                        server = await PostgresServer.StartAsync("bench", cancellationToken).ConfigureAwait(false);
                        connection = server.ConnectionString;
                    }

                    storeHocon = $"actorstream.persistence {{ provider = postgresql, postgresql.connection-string = \"{connection}\" }}";
                    open = () => new Npgsql.NpgsqlConnection(connection);
                }
                else
                {
                    throw new UsageException($"{StoresOption}: unknown store '{store}'; allowed: sqlite, postgresql");
                }

                Console.Error.WriteLine($"== {store}");
                var system = StartSystem(kafka.BootstrapServers, storeHocon);
                try
                {
                    var context = new StoreContext(store, system, kafka, open, messages, keys, partitions);
                    await context.PrepareAsync().ConfigureAwait(false);
                    var throughput = await InterleavedRunner.RunAsync(
                        [new RawInsertVariant(context), new PipelineVariant(context)], warmups, rounds, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                    var recovery = await RecoveryAsync(context, recoveryEvents, warmups, rounds, cancellationToken).ConfigureAwait(false);
                    results[store] = new JsonObject
                    {
                        ["throughput"] = Report.Variants(throughput, $"raw-insert-{store}"),
                        ["recovery"] = Report.Variants(recovery, $"recover-no-snapshot-{store}", v => Extra(v, "recovery_ms")),
                    };
                    markdown.AppendLine(CultureInfo.InvariantCulture, $"### {store}: records/s through the pipeline vs raw batched insert of the same rows ({messages} records, {keys} keys)").AppendLine();
                    markdown.Append(Report.MarkdownTable(throughput, $"raw-insert-{store}")).AppendLine();
                    markdown.AppendLine(CultureInfo.InvariantCulture, $"### {store}: recovery of one entity with {recoveryEvents} events (msgs/s = events recovered per second)").AppendLine();
                    markdown.Append(Report.MarkdownTable(recovery, $"recover-no-snapshot-{store}", v => FormattableString.Invariant($"{MedianExtra(v, "recovery_ms"):N0} ms"))).AppendLine();
                }
                finally
                {
                    await system.Terminate().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        var root = new JsonObject
        {
            ["scenario"] = Name,
            ["parameters"] = new JsonObject
            {
                ["messages"] = messages, ["keys"] = keys, ["partitions"] = partitions, ["rounds"] = rounds, ["warmup"] = warmups,
                ["recovery_events"] = recoveryEvents, ["stores"] = string.Join(",", stores),
            },
            ["machine"] = Report.Machine(),
            ["stores"] = results,
            ["total_run_s"] = Report.Round(total.Elapsed.TotalSeconds, 1),
        };
        Report.WriteJson(outFile, root);
        Console.Out.Write(markdown.ToString());
        Console.Out.WriteLine($"Results written to {Path.GetFullPath(outFile)}");
        return 0;
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Extra(VariantRuns runs, string key)
    {
        yield return KeyValuePair.Create<string, JsonNode?>(key, Report.Round(MedianExtra(runs, key), 1));
    }

    private static double MedianExtra(VariantRuns runs, string key) =>
        Stats.Median(runs.Rounds.Select(r => Convert.ToDouble(r.Extra[key], CultureInfo.InvariantCulture)));

    private static ActorSystem StartSystem(string bootstrap, string storeHocon)
    {
        var config = ConfigurationFactory.ParseString($$"""
                {{storeHocon}}
                akka.loglevel = WARNING
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                akka.cluster.min-nr-of-members = 1
                akka.cluster.sharding.state-store-mode = ddata
                actorstream.kafka.bootstrap-servers = "{{bootstrap}}"
                actorstream.kafka.consumer.poll-timeout = 20ms
                actorstream.kafka.committer.max-interval = 100ms
                """)
            .WithFallback(ActorStreamPersistence.SerializationConfig);
        var system = ActorSystem.Create("bench", config);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        up.Task.Wait(TimeSpan.FromSeconds(30));
        ActorStreamExtension.Get(system).Entities.Register<BenchLedger>("BenchLedger");
        ActorStreamPersistence.Get(system);
        return system;
    }

    private static async Task<IReadOnlyList<VariantRuns>> RecoveryAsync(StoreContext context, int events, int warmups, int rounds, CancellationToken cancellationToken)
    {
        // Two entities with the same events: one without snapshots, one with its latest snapshot
        // taken after the last event (as snapshot-every would leave it at a multiple of N).
        var plain = $"recovery-plain-{Guid.NewGuid():N}";
        var snapshotted = $"recovery-snap-{Guid.NewGuid():N}";
        await context.InsertJournalRowsAsync($"BenchLedger|{plain}", events, markers: false).ConfigureAwait(false);
        await context.InsertJournalRowsAsync($"BenchLedger|{snapshotted}", events, markers: false).ConfigureAwait(false);
        var snapshots = Akka.Persistence.Persistence.Instance.Apply(context.System).SnapshotStoreFor(ActorStreamPersistence.SnapshotPluginId);
        var state = new PersistedSnapshot(1, JsonSerializer.SerializeToElement(new BenchState(events, events), EntityJson.Options),
            [new AppliedSource("bench", 0, events - 1, [], Delivered: true)]);
        var saved = await snapshots.Ask<object>(new SaveSnapshot(new SnapshotMetadata($"BenchLedger|{snapshotted}", events, DateTime.UtcNow), state), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (saved is not SaveSnapshotSuccess)
        {
            throw new BenchmarkFailedException($"saving the recovery snapshot failed: {saved}");
        }

        return await InterleavedRunner.RunAsync(
            [new RecoveryVariant(context, $"recover-no-snapshot-{context.Store}", plain, events), new RecoveryVariant(context, $"recover-snapshot-{context.Store}", snapshotted, events)],
            warmups, rounds, TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the variants of one store share.</summary>
    private sealed class StoreContext(string store, ActorSystem system, EmbeddedKafka kafka, Func<DbConnection> open, int messages, int keys, int partitions)
    {
        private byte[] _eventPayload = [];
        private byte[] _markerPayload = [];

        public string Store => store;

        public ActorSystem System => system;

        public EmbeddedKafka Kafka => kafka;

        public int Messages => messages;

        public int Keys => keys;

        public int Partitions => partitions;

        public async Task PrepareAsync()
        {
            // Real envelopes, as the pipeline writes them, for the raw rows.
            var source = new RecordSource("bench-persist-0", 0, 12345);
            var e = new PersistedEvent(source, "BenchCredited", 1, JsonSerializer.SerializeToElement(new BenchCredited(17, 17m, 153m), EntityJson.Options));
            var serializer = system.Serialization.FindSerializerFor(e);
            _eventPayload = serializer.ToBinary(e);
            _markerPayload = serializer.ToBinary(new PersistedDelivery(source));

            // Tables exist before the first run (auto-initialize on first use otherwise).
            await ActorStreamPersistence.Get(system).VerifyStoresAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }

        /// <summary>Journal rows for <paramref name="persistenceId"/>, 100 per INSERT and transaction (the journal's default batch-size).</summary>
        public async Task InsertJournalRowsAsync(string persistenceId, int events, bool markers)
        {
            var timeColumn = store == "sqlite" ? "timestamp" : "created_at";
            await using var connection = open();
            await connection.OpenAsync().ConfigureAwait(false);
            var rows = markers ? events * 2 : events;
            var now = DateTime.UtcNow.Ticks;
            for (var start = 0; start < rows; start += 100)
            {
                var count = Math.Min(100, rows - start);
                await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var sql = new StringBuilder($"INSERT INTO event_journal ({timeColumn}, is_deleted, persistence_id, sequence_nr, payload, manifest, serializer_id) VALUES ");
                for (var i = 0; i < count; i++)
                {
                    var n = start + i;
                    var marker = markers && n % 2 == 1;
                    sql.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ",")}(@t, false, @p, @s{i}, @b{i}, '{(marker ? "D1" : "E1")}', {EntityEventSerializer.SerializerIdentifier})");
                    Add(command, $"@s{i}", (long)n + 1);
                    Add(command, $"@b{i}", marker ? _markerPayload : _eventPayload);
                }

                Add(command, "@t", now);
                Add(command, "@p", persistenceId);
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
                await transaction.CommitAsync().ConfigureAwait(false);
            }
        }

        private static void Add(DbCommand command, string name, object value)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            command.Parameters.Add(p);
        }
    }

    /// <summary>Baseline: the journal rows a pipeline run writes (event + marker per record), inserted directly, 100 per batch.</summary>
    private sealed class RawInsertVariant(StoreContext context) : IVariant
    {
        public string Name => $"raw-insert-{context.Store}";

        public async Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken)
        {
            // One persistence id per key, like the pipeline's entities.
            var perKey = context.Messages / context.Keys;
            var probe = Probe.Start();
            for (var k = 0; k < context.Keys; k++)
            {
                await context.InsertJournalRowsAsync($"raw-{runIndex}-{Guid.NewGuid():N}", perKey, markers: true).ConfigureAwait(false);
            }

            return new VariantRun(probe.Stop((long)perKey * context.Keys), new Dictionary<string, object> { ["journal_rows"] = perKey * context.Keys * 2 });
        }
    }

    /// <summary>Records through a pipeline of event-sourced entities until all offsets are committed.</summary>
    private sealed class PipelineVariant(StoreContext context) : IVariant
    {
        public string Name => $"pipeline-{context.Store}";

        public async Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken)
        {
            var topic = $"bench-persist-{context.Store}-{runIndex}";
            context.Kafka.CreateTopic(topic, context.Partitions);
            var perKey = context.Messages / context.Keys;
            var total = perKey * context.Keys;
            using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = context.Kafka.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5 }).Build())
            {
                for (var seq = 1; seq <= perKey; seq++)
                {
                    for (var k = 0; k < context.Keys; k++)
                    {
                        producer.Produce(topic, new Message<string, string> { Key = $"r{runIndex}-k{k}", Value = JsonSerializer.Serialize(new BenchValue(seq, 1m), EntityJson.Options) });
                    }
                }

                producer.Flush(TimeSpan.FromSeconds(60));
            }

            var settings = new PipelineSettingsBuilder($"bench-{context.Store}-{runIndex}")
                .Topic(topic)
                .Entity("BenchLedger")
                .DlqTopic($"{topic}.dlq")
                .SnapshotEvery(0)
                .Build();
            context.Kafka.CreateTopic($"{topic}.dlq", 1);
            using var admin = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = context.Kafka.BootstrapServers, GroupId = settings.GroupId }).Build();
            var probe = Probe.Start();
            var pipeline = Pipeline.Start(context.System, settings);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            while (true)
            {
                var committed = admin.Committed(Enumerable.Range(0, context.Partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
                    .Where(c => c.Offset.Value >= 0).Sum(c => c.Offset.Value);
                if (committed >= total)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new BenchmarkFailedException($"{Name}: only {committed}/{total} committed after 5 minutes");
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            var sample = probe.Stop(total);
            await pipeline.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            return new VariantRun(sample, new Dictionary<string, object> { ["journal_rows"] = total * 2 });
        }
    }

    /// <summary>Starts an entity with N journaled events and times its first record (recovery + one persist).</summary>
    private sealed class RecoveryVariant(StoreContext context, string name, string entityId, int events) : IVariant
    {
        public string Name => name;

        public async Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken)
        {
            var props = EntityRegistry.PropsFor<BenchLedger>(new EntityStart("BenchLedger", entityId, SnapshotEvery: 0));
            var probe = Probe.Start();
            var entity = context.System.ActorOf(props);
            // Offset below the last applied one: answered right after recovery without a write.
            var record = new KafkaRecord("bench", 0, 0, entityId, [], [], DateTimeOffset.UtcNow);
            var reply = await entity.Ask<object>(new ProcessRecord(entityId, record, new BenchValue(0, 0), 1), TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            var sample = probe.Stop(events);
            context.System.Stop(entity);
            if (reply is not RecordProcessed)
            {
                throw new BenchmarkFailedException($"{name}: unexpected reply {reply}");
            }

            return new VariantRun(sample, new Dictionary<string, object> { ["recovery_ms"] = sample.Wall.TotalMilliseconds });
        }
    }
}
