using System.Data.Common;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using ActorStream.Entities;
using ActorStream.Persistence;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using ActorStream.Tests.Pipelines;
using Xunit.Abstractions;
using Config = Akka.Configuration.Config;

namespace ActorStream.Tests.Persistence;

/// <summary>
/// Event-sourced entities in running pipelines on a real store (subclasses: SQLite file, PostgreSQL
/// server) and the embedded Kafka broker: effectively-once under redelivery (crash before the
/// commit; a fresh consumer group), passivation and recovery, snapshots.
/// </summary>
public abstract class PersistentPipelineSpec : PipelineSpec
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    protected PersistentPipelineSpec(ITestOutputHelper output, string storeHocon)
        : base(output, storeHocon + "\n" + ActorStreamPersistence.SerializationHocon)
    {
        StoreHocon = storeHocon;
        ActorStreamExtension.Get(Sys).Entities.Register<LedgerEntity>("Ledger");
    }

    protected string StoreHocon { get; }

    /// <summary>Skips when the store is not available (never in CI).</summary>
    protected virtual void CheckAvailable()
    {
    }

    /// <summary>A connection to the store, for counting journal rows.</summary>
    protected abstract DbConnection OpenStore();

    [SkippableFact]
    public async Task A_crash_before_the_commit_redelivers_records_that_are_neither_applied_nor_emitted_again()
    {
        CheckAvailable();
        const int keys = 8;
        const int perKey = 15;
        var topic = NewTopic(2);
        Kafka.CreateTopic($"{topic}.out", 2);
        ProduceLedger(topic, keys, perKey);
        var settings = Settings("ledger-crash", topic, "Ledger").WithGroupId($"g-{_run}");

        // Node 1 never commits (a committer interval of an hour), processes everything, then dies
        // abruptly: every record of the topic will be delivered again.
        var first = StartNode(settings, "actorstream.kafka.committer { max-interval = 1h, max-batch = 1000000 }", abrupt: true);
        await AwaitConditionAsync(() => Task.FromResult(ReadToEnd($"{topic}.out", 2).Count == keys * perKey), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        await AwaitConditionAsync(() => Task.FromResult(JournalRows() == 2 * keys * perKey), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        Assert.Empty(Committed(settings.GroupId, topic, 2));
        await first.Terminate().WaitAsync(TimeSpan.FromSeconds(30));

        // Node 2, same store, same group: everything is redelivered and acknowledged, nothing applied again.
        await RunNodeUntilCommittedAsync(settings, topic, keys * perKey);

        AssertOutputsExactlyOnce(topic, keys, perKey);
        Assert.Equal(2 * keys * perKey, JournalRows());
    }

    [SkippableFact]
    public async Task Reprocessing_the_topic_with_a_fresh_consumer_group_applies_and_emits_nothing_again()
    {
        CheckAvailable();
        const int keys = 6;
        const int perKey = 10;
        var topic = NewTopic(2);
        Kafka.CreateTopic($"{topic}.out", 2);
        ProduceLedger(topic, keys, perKey);

        var settings = Settings("ledger-once", topic, "Ledger").WithGroupId($"g1-{_run}");
        await RunNodeUntilCommittedAsync(settings, topic, keys * perKey);
        Assert.Equal(keys * perKey, ReadToEnd($"{topic}.out", 2).Count);

        // A new consumer group reads the topic from the beginning on a fresh node: entities recover
        // from the journal and recognise every offset.
        var fresh = settings.WithGroupId($"g2-{_run}");
        await RunNodeUntilCommittedAsync(fresh, topic, keys * perKey);

        AssertOutputsExactlyOnce(topic, keys, perKey);
    }

    [SkippableFact]
    public async Task An_idle_entity_is_passivated_and_recovers_its_state_on_its_next_record()
    {
        CheckAvailable();
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        var key = $"{_run}-idle";
        var settings = Settings("ledger-idle", topic, "Ledger").WithPassivateAfter(TimeSpan.FromMilliseconds(500));
        var pipeline = Pipeline.Start(Sys, settings);
        Produce(topic, Enumerable.Range(1, 5).Select(seq => ((string?)key, Json(new LedgerValue(seq, seq)))));
        await AwaitConditionAsync(() => Task.FromResult(ReadToEnd($"{topic}.out", 1).Count == 5), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));

        // Idle for passivate-after: the entity (host and actor) stops.
        await AwaitConditionAsync(() => Task.FromResult(LedgerLog.Stopped.GetValueOrDefault(key) >= 1), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, LedgerLog.Started[key]);

        // Its next record starts it again; the state comes back from the journal.
        Produce(topic, [((string?)key, Json(new LedgerValue(6, 100)))]);
        await AwaitConditionAsync(() => Task.FromResult(ReadToEnd($"{topic}.out", 1).Count == 6), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        var last = JsonDocument.Parse(ReadToEnd($"{topic}.out", 1)[^1].Message.Value).RootElement;
        Assert.Equal(6, last.GetProperty("seq").GetInt64());
        Assert.Equal(115m, last.GetProperty("balance").GetDecimal());
        Assert.Equal(2, LedgerLog.Started[key]);
        Assert.Equal(5, LedgerLog.Replayed[key]);
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    [SkippableFact]
    public async Task A_snapshot_is_saved_every_n_events_and_recovery_replays_only_the_events_after_it()
    {
        CheckAvailable();
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        var key = $"{_run}-snap";
        var settings = Settings("ledger-snap", topic, "Ledger").WithSnapshotEvery(10).WithPassivateAfter(TimeSpan.FromMilliseconds(500));
        var pipeline = Pipeline.Start(Sys, settings);
        Produce(topic, Enumerable.Range(1, 25).Select(seq => ((string?)key, Json(new LedgerValue(seq, 1)))));
        await AwaitConditionAsync(() => Task.FromResult(ReadToEnd($"{topic}.out", 1).Count == 25), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));

        // Snapshots after events 10 and 20 (journal sequence numbers count delivery markers too); the
        // older one is deleted once the newer one is saved.
        var snapshots = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(ActorStreamPersistence.SnapshotPluginId);
        await AwaitAssertAsync(async () =>
        {
            var latest = await snapshots.Ask<LoadSnapshotResult>(new LoadSnapshot($"Ledger|{key}", SnapshotSelectionCriteria.Latest, long.MaxValue), TimeSpan.FromSeconds(10));
            var state = JsonSerializer.Deserialize<LedgerState>(((PersistedSnapshot)latest.Snapshot!.Snapshot).State, EntityJson.Options);
            Assert.Equal(new LedgerState(20, 20m), state);
            var older = await snapshots.Ask<LoadSnapshotResult>(new LoadSnapshot($"Ledger|{key}", new SnapshotSelectionCriteria(latest.Snapshot.Metadata.SequenceNr - 1), long.MaxValue), TimeSpan.FromSeconds(10));
            Assert.Null(older.Snapshot);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));

        // Recovery after passivation: the snapshot (20 events) plus 5 replayed events.
        await AwaitConditionAsync(() => Task.FromResult(LedgerLog.Stopped.GetValueOrDefault(key) >= 1), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
        Produce(topic, [((string?)key, Json(new LedgerValue(26, 1)))]);
        await AwaitConditionAsync(() => Task.FromResult(ReadToEnd($"{topic}.out", 1).Count == 26), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        Assert.Equal(5, LedgerLog.Replayed[key]);
        var last = JsonDocument.Parse(ReadToEnd($"{topic}.out", 1)[^1].Message.Value).RootElement;
        Assert.Equal(26m, last.GetProperty("balance").GetDecimal());
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Starts a node with the pipeline, waits until its group committed <paramref name="records"/> offsets of the 2-partition topic, and stops it.</summary>
    private async Task RunNodeUntilCommittedAsync(PipelineSettings settings, string topic, int records)
    {
        var node = StartNode(settings);
        try
        {
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 2).Values.Sum() == records), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            await node.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    protected ActorSystem StartNode(PipelineSettings settings, string extra = "", bool abrupt = false)
    {
        var config = ConfigurationFactory.ParseString(extra + "\n" + (abrupt ? "akka.coordinated-shutdown.run-by-actor-system-terminate = off" : ""))
            .WithFallback(ConfigurationFactory.ParseString(StoreHocon))
            .WithFallback(ActorStreamPersistence.SerializationConfig)
            .WithFallback(NodeConfig(Kafka.BootstrapServers));
        var system = ActorSystem.Create("node", config);
        JoinSelf(system);
        ActorStreamExtension.Get(system).Entities.Register<LedgerEntity>("Ledger");
        Pipeline.Start(system, settings);
        return system;
    }

    protected new PipelineSettings Settings(string name, string topic, string entity) =>
        new PipelineSettingsBuilder(name)
            .Topic(topic)
            .GroupId($"{name}-{Guid.NewGuid():N}")
            .Entity(entity)
            .DlqTopic($"{topic}.dlq")
            .Retry(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), 0.1)
            .Build();

    protected string Key(int n) => $"{_run}-k{n}";

    protected void ProduceLedger(string topic, int keys, int perKey, int fromSeq = 1) =>
        Produce(topic, Enumerable.Range(fromSeq, perKey).SelectMany(seq => Enumerable.Range(0, keys).Select(k =>
            ((string?)Key(k), Json(new LedgerValue(seq, seq))))));

    protected static string Json(LedgerValue value) => JsonSerializer.Serialize(value, EntityJson.Options);

    /// <summary>Every (key, seq) output exactly once, in seq order per key, with the right balance; every record decided once.</summary>
    protected void AssertOutputsExactlyOnce(string topic, int keys, int perKey)
    {
        var outputs = ReadToEnd($"{topic}.out", 2);
        Assert.Equal(keys * perKey, outputs.Count);
        foreach (var group in outputs.GroupBy(o => o.Message.Key))
        {
            var rows = group.OrderBy(o => o.Offset.Value).Select(o => JsonDocument.Parse(o.Message.Value).RootElement).ToList();
            Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), rows.Select(r => r.GetProperty("seq").GetInt64()));
            Assert.Equal(perKey * (perKey + 1) / 2m, rows[^1].GetProperty("balance").GetDecimal());
        }

        Assert.Equal(keys, outputs.Select(o => o.Message.Key).Distinct().Count());
        for (var k = 0; k < keys; k++)
        {
            for (var seq = 1; seq <= perKey; seq++)
            {
                Assert.Equal(1, LedgerLog.Decided.GetValueOrDefault($"{Key(k)}/{seq}"));
            }
        }
    }

    /// <summary>Journal rows (events and delivery markers) of this test's entities.</summary>
    protected long JournalRows()
    {
        using var connection = OpenStore();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM event_journal WHERE persistence_id LIKE 'Ledger|{_run}%'";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Persistent pipelines on the embedded default: a SQLite file.</summary>
public sealed class SqlitePersistentPipelineTests : PersistentPipelineSpec
{
    private readonly TempStore _store;

    public SqlitePersistentPipelineTests(ITestOutputHelper output)
        : this(output, new TempStore("pipeline-sqlite-"))
    {
    }

    private SqlitePersistentPipelineTests(ITestOutputHelper output, TempStore store)
        : base(output, store.Hocon)
    {
        _store = store;
    }

    private string File => _store.File;

    protected override void AfterAll()
    {
        base.AfterAll();
        _store.Delete();
    }

    protected override DbConnection OpenStore()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={File}");
        connection.Open();
        return connection;
    }

    [Fact]
    public async Task An_output_outage_longer_than_the_retry_budget_re_emits_the_persisted_events_and_applies_nothing_twice()
    {
        const int keys = 4;
        const int perKey = 10;
        var topic = NewTopic(2);
        Kafka.CreateTopic($"{topic}.out", 2);
        var settings = Settings("ledger-out-outage", topic, "Ledger").WithAckTimeout(TimeSpan.FromSeconds(2));

        // Outputs fail after 1 s; 3 attempts with 100-500 ms backoff: without transient handling a
        // record whose events are persisted would be dead-lettered after about 4 s.
        var node = StartNode(settings, """
            actorstream.kafka.producer.properties { "message.timeout.ms" = 1000, "max.in.flight.requests.per.connection" = 1 }
            """);
        try
        {
            ProduceLedger(topic, keys, perKey / 2);
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 2).Values.Sum() == keys * perKey / 2), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

            // Leadership of the output partitions keeps moving: librdkafka retries each request after a
            // metadata refresh and retry.backoff.ms (at least 100 ms), so 100 errors last at least 10 s.
            for (var p = 0; p < 2; p++)
            {
                Kafka.PushPartitionRequestErrors($"{topic}.out", p, TestKit.KafkaApiKey.Produce,
                    Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? Confluent.Kafka.ErrorCode.NotLeaderForPartition : Confluent.Kafka.ErrorCode.LeaderNotAvailable).ToArray());
            }

            ProduceLedger(topic, keys, perKey / 2, fromSeq: perKey / 2 + 1);

            // The events of the first record of each key after the outage began are persisted, its
            // outputs cannot be written: it stays unacknowledged, nothing behind it is committed.
            await AwaitConditionAsync(() => Task.FromResult(Enumerable.Range(0, keys).All(k => LedgerLog.Decided.ContainsKey($"{Key(k)}/{perKey / 2 + 1}"))), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
            var outage = System.Diagnostics.Stopwatch.StartNew();
            while (outage.Elapsed < TimeSpan.FromSeconds(6))
            {
                await Task.Delay(200);
                Assert.Equal(keys * perKey / 2, Committed(settings.GroupId, topic, 2).Values.Sum());
            }

            AssertNoDeadLetters($"{topic}.dlq", 2);
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 2).Values.Sum() == keys * perKey), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            await node.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }

        AssertNoDeadLetters($"{topic}.dlq", 2);

        // Each output once with the right balance, and every record decided (so persisted and applied) once.
        AssertOutputsExactlyOnce(topic, keys, perKey);
    }
}

/// <summary>Persistent pipelines on a real PostgreSQL server (the collection's throwaway server).</summary>
[Collection("postgres")]
public sealed class PostgresPersistentPipelineTests : PersistentPipelineSpec
{
    private readonly PostgresFixture _postgres;

    public PostgresPersistentPipelineTests(PostgresFixture postgres, ITestOutputHelper output)
        : base(output, $"""
            actorstream.persistence.provider = postgresql
            actorstream.persistence.postgresql.connection-string = "{postgres.ConnectionString}"
            actorstream.persistence.journal.circuit-breaker.reset-timeout = 1s
            actorstream.persistence.snapshot-store.circuit-breaker.reset-timeout = 1s
            """)
    {
        _postgres = postgres;
    }

    protected override void CheckAvailable() => _postgres.SkipIfUnavailable();

    protected override DbConnection OpenStore()
    {
        var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString);
        connection.Open();
        return connection;
    }

    [SkippableFact]
    public async Task With_the_database_down_records_wait_unacknowledged_and_resume_without_loss_when_it_returns()
    {
        CheckAvailable();
        const int keys = 4;
        const int perKey = 10;
        var topic = NewTopic(2);
        Kafka.CreateTopic($"{topic}.out", 2);
        var settings = Settings("ledger-outage", topic, "Ledger");
        var pipeline = Pipeline.Start(Sys, settings);
        try
        {
            ProduceLedger(topic, keys, perKey / 2);
            await AwaitConditionAsync(() => Task.FromResult(ReadToEnd($"{topic}.out", 2).Count == keys * perKey / 2), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 2).Values.Sum() == keys * perKey / 2), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));

            // Database down, second half produced: nothing is applied, emitted or committed.
            await _postgres.Server!.StopAsync();
            ProduceLedger(topic, keys, perKey / 2, fromSeq: perKey / 2 + 1);
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Equal(keys * perKey / 2, ReadToEnd($"{topic}.out", 2).Count);
            Assert.Equal(keys * perKey / 2, Committed(settings.GroupId, topic, 2).Values.Sum());
            Assert.False(pipeline.Completion.IsCompleted, "the pipeline keeps running while the database is down");

            // Database back: processing resumes by itself, in order, nothing lost, nothing twice.
            await _postgres.Server.StartAsync();
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 2).Values.Sum() == keys * perKey), TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            await _postgres.Server!.StartAsync();
            await pipeline.StopAsync(TimeSpan.FromSeconds(20));
        }

        var outputs = ReadToEnd($"{topic}.out", 2);
        Assert.Equal(keys * perKey, outputs.Count);
        foreach (var group in outputs.GroupBy(o => o.Message.Key))
        {
            var rows = group.OrderBy(o => o.Offset.Value).Select(o => JsonDocument.Parse(o.Message.Value).RootElement).ToList();
            Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), rows.Select(r => r.GetProperty("seq").GetInt64()));
            Assert.Equal(perKey * (perKey + 1) / 2m, rows[^1].GetProperty("balance").GetDecimal());
        }
    }
}
