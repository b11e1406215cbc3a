using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using ActorStream.Entities;
using ActorStream.Persistence;
using ActorStream.TestKit.Entities;
using Xunit.Abstractions;

namespace ActorStream.Tests.Persistence;

/// <summary>Version 2 of a deposit event: version 1 called the amount "value" and had no currency.</summary>
[EventType("Deposited", 2)]
public sealed record Deposited(long Seq, decimal Amount, string Currency);

/// <summary>An entity whose event schema evolved; it upgrades version 1 events when it reads them.</summary>
public sealed class DepositEntity : EventSourcedEntity<LedgerValue, LedgerState, Deposited>
{
    protected override LedgerState InitialState() => new(0, 0m);

    protected override IEnumerable<Deposited> Decide(LedgerValue value, LedgerState state, RecordContext context) =>
        [new Deposited(value.Seq, value.Amount, "EUR")];

    protected override LedgerState Apply(LedgerState state, Deposited e) => new(state.Credits + 1, state.Balance + e.Amount);

    protected override void Emit(LedgerState state, IReadOnlyList<Deposited> events, RecordContext context) =>
        context.Emit("deposits.out", EntityId, new { credits = state.Credits, balance = state.Balance });

    protected override JsonNode UpgradeEvent(string eventType, int fromVersion, JsonNode data)
    {
        if (eventType == "Deposited" && fromVersion == 1)
        {
            var obj = data.AsObject();
            obj["amount"] = obj["value"]?.DeepClone();
            obj.Remove("value");
            obj["currency"] = "EUR";
        }

        return data;
    }
}

public sealed class EventUpgradeTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempStore _store;

    public EventUpgradeTests(ITestOutputHelper output)
        : this(new TempStore("upgrade-"), output)
    {
    }

    private EventUpgradeTests(TempStore store, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(store.Hocon).WithFallback(ActorStreamPersistence.SerializationConfig), output: output)
    {
        _store = store;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _store.Delete();
    }

    [Fact]
    public async Task An_entity_recovers_from_events_written_with_an_older_schema_version()
    {
        // Journal written by an older release: Deposited version 1 {"seq", "value"}.
        ActorStreamPersistence.Get(Sys);
        var journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(ActorStreamPersistence.JournalPluginId);
        var old = new PersistedEvent(new RecordSource("deposits", 0, 0), "Deposited", 1, JsonSerializer.SerializeToElement(new { seq = 1, value = 5.5m }));
        journal.Tell(new WriteMessages([new AtomicWrite(new Persistent(old, 1, "Deposit|d-1", writerGuid: "old"))], TestActor, 1));
        ExpectMsg<WriteMessagesSuccessful>();
        ExpectMsg<WriteMessageSuccess>();

        var probe = new EntityProbe<DepositEntity>(Sys, "d-1", topic: "deposits", entityType: "Deposit");
        var outcome = await probe.SendAtOffsetAsync(new LedgerValue(2, 1m), offset: 1);

        Assert.True(outcome.Processed, outcome.Error?.ToString());
        var output = JsonDocument.Parse(Assert.Single(outcome.Outputs).Value).RootElement;
        Assert.Equal(2, output.GetProperty("credits").GetInt64());
        Assert.Equal(6.5m, output.GetProperty("balance").GetDecimal());

        // Redelivery of the upgraded (old) record's offset: acknowledged, nothing applied.
        var again = await probe.SendAtOffsetAsync(new LedgerValue(1, 5.5m), offset: 0);
        Assert.True(again.Processed);
        Assert.Empty(again.Outputs);
    }

    [Fact]
    public async Task An_event_from_a_newer_release_fails_recovery_instead_of_being_misread()
    {
        ActorStreamPersistence.Get(Sys);
        var journal = Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(ActorStreamPersistence.JournalPluginId);
        var future = new PersistedEvent(new RecordSource("deposits", 0, 0), "Deposited", 3, JsonSerializer.SerializeToElement(new { seq = 1, amount = 1m, currency = "EUR", fee = 1m }));
        journal.Tell(new WriteMessages([new AtomicWrite(new Persistent(future, 1, "Deposit|d-2", writerGuid: "new"))], TestActor, 1));
        ExpectMsg<WriteMessagesSuccessful>();
        ExpectMsg<WriteMessageSuccess>();

        var probe = new EntityProbe<DepositEntity>(Sys, "d-2", topic: "deposits", entityType: "Deposit");
        var outcome = await probe.SendAtOffsetAsync(new LedgerValue(2, 1m), offset: 1);
        Assert.False(outcome.Processed);
        Assert.Empty(outcome.Outputs);
    }
}
