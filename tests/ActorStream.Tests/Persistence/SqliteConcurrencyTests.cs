using System.Text.Json;
using Akka.Configuration;
using ActorStream.Persistence;
using ActorStream.TestKit.Entities;
using Xunit.Abstractions;

namespace ActorStream.Tests.Persistence;

/// <summary>The SQLite store under concurrent journal and snapshot writers (WAL + busy timeout).</summary>
public sealed class SqliteConcurrencyTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempStore _store;

    public SqliteConcurrencyTests(ITestOutputHelper output)
        : this(new TempStore("sqlite-concurrency-"), output)
    {
    }

    private SqliteConcurrencyTests(TempStore store, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(store.Hocon).WithFallback(ActorStreamPersistence.SerializationConfig), output: output)
    {
        _store = store;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _store.Delete();
    }

    private static readonly string Run = Guid.NewGuid().ToString("N")[..6];

    [Fact]
    public async Task Many_entities_persisting_and_snapshotting_at_once_never_fail_with_database_is_locked()
    {
        // A snapshot after every event: the snapshot store's connection writes while the journal's
        // writers do, all on one file.
        const int entities = 24;
        const int records = 15;
        var probes = Enumerable.Range(0, entities)
            .Select(i => new EntityProbe<LedgerEntity>(Sys, $"conc-{i}-{Run}", topic: "conc", entityType: "Ledger", snapshotEvery: 1))
            .ToList();
        var outcomes = await Task.WhenAll(probes.Select(async probe =>
        {
            var failures = new List<string>();
            for (var seq = 1; seq <= records; seq++)
            {
                var outcome = await probe.SendAsync(new LedgerValue(seq, 1m), timeout: TimeSpan.FromSeconds(30));
                if (!outcome.Processed)
                {
                    failures.Add($"{probe.EntityId} seq {seq}: {outcome.Error?.Message}");
                }
            }

            return failures;
        }));

        Assert.Empty(outcomes.SelectMany(f => f));

        // (The probes share one recording emitter per system, so check the state instead of outputs.)
        foreach (var probe in probes)
        {
            for (var seq = 1; seq <= records; seq++)
            {
                Assert.Equal(1, LedgerLog.Decided.GetValueOrDefault($"{probe.EntityId}/{seq}"));
            }
        }

        // Recovered state (latest snapshot) of one entity after all that.
        var check = new EntityProbe<LedgerEntity>(Sys, $"conc-0-{Run}", topic: "conc", entityType: "Ledger");
        var next = await check.SendAtOffsetAsync(new LedgerValue(records + 1, 1m), offset: records);
        Assert.True(next.Processed, next.Error?.ToString());
        Assert.Equal(records + 1m, JsonDocument.Parse(Assert.Single(next.Outputs).Value).RootElement.GetProperty("balance").GetDecimal());
    }
}
