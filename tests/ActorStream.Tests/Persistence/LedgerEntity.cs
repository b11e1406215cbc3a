using System.Collections.Concurrent;
using ActorStream.Entities;
using ActorStream.Persistence;

namespace ActorStream.Tests.Persistence;

/// <summary>A record value of the ledger tests: a per-key seq and an amount.</summary>
public sealed record LedgerValue(long Seq, decimal Amount);

/// <summary>Ledger state: balance and number of credits.</summary>
public sealed record LedgerState(long Credits, decimal Balance);

/// <summary>The ledger event.</summary>
[EventType("Credited", 1)]
public sealed record Credited(long Seq, decimal Amount, decimal Balance);

/// <summary>What ledger entities did, across actor systems of one test process (keys are unique per test).</summary>
public static class LedgerLog
{
    /// <summary>Decide calls per "key/seq" (a decided record is persisted, unless the journal fails).</summary>
    public static readonly ConcurrentDictionary<string, int> Decided = new();

    /// <summary>Entity actor starts per key.</summary>
    public static readonly ConcurrentDictionary<string, int> Started = new();

    /// <summary>Entity actor stops per key.</summary>
    public static readonly ConcurrentDictionary<string, int> Stopped = new();

    /// <summary>Events replayed during the latest recovery per key (after the snapshot, if any).</summary>
    public static readonly ConcurrentDictionary<string, int> Replayed = new();
}

/// <summary>Event-sourced test entity: credits amounts, emits {key, seq, balance} to "&lt;topic&gt;.out".</summary>
public sealed class LedgerEntity : EventSourcedEntity<LedgerValue, LedgerState, Credited>
{
    private int _replayed;

    protected override LedgerState InitialState() => new(0, 0m);

    protected override IEnumerable<Credited> Decide(LedgerValue value, LedgerState state, RecordContext context)
    {
        LedgerLog.Decided.AddOrUpdate($"{EntityId}/{value.Seq}", 1, (_, n) => n + 1);
        return [new Credited(value.Seq, value.Amount, state.Balance + value.Amount)];
    }

    protected override LedgerState Apply(LedgerState state, Credited e)
    {
        if (!IsRecoveryFinished)
        {
            _replayed++;
        }

        return new(state.Credits + 1, e.Balance);
    }

    protected override void Emit(LedgerState state, IReadOnlyList<Credited> events, RecordContext context)
    {
        foreach (var e in events)
        {
            context.Emit($"{context.Record.Topic}.out", EntityId, new { key = EntityId, seq = e.Seq, balance = e.Balance });
        }
    }

    protected override void OnReplaySuccess()
    {
        LedgerLog.Replayed[EntityId] = _replayed;
        base.OnReplaySuccess();
    }

    protected override void PreStart()
    {
        LedgerLog.Started.AddOrUpdate(EntityId, 1, (_, n) => n + 1);
        base.PreStart();
    }

    protected override void PostStop()
    {
        LedgerLog.Stopped.AddOrUpdate(EntityId, 1, (_, n) => n + 1);
        base.PostStop();
    }
}
