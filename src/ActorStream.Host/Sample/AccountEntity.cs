using ActorStream.Entities;

namespace ActorStream.Host.Sample;

/// <summary>
/// The sample entity: one per account id, event-sourced. A transaction becomes an
/// <see cref="AmountApplied"/> event (journaled with the record's topic/partition/offset), the state
/// keeps the balance and the last applied <c>seq</c>, and every applied transaction emits
/// <c>{"accountId","seq","balance"}</c> to <c>accounts.balances</c>. The state survives restarts,
/// rebalances and passivation; a redelivered record (offset at or below the last applied one) is
/// not applied twice, and a transaction whose seq is not above the last applied one (a duplicate
/// produced twice) is acknowledged without an event or output.
/// </summary>
public sealed class AccountEntity : EventSourcedEntity<AccountTransaction, AccountState, AmountApplied>
{
    /// <inheritdoc />
    protected override AccountState InitialState() => new(0, 0m);

    /// <inheritdoc />
    protected override IEnumerable<AmountApplied> Decide(AccountTransaction tx, AccountState state, RecordContext context)
    {
        if (tx.AccountId != EntityId)
        {
            throw new InvalidOperationException($"transaction for account '{tx.AccountId}' arrived at entity '{EntityId}' (record key and accountId differ)");
        }

        if (tx.Seq <= state.LastSeq)
        {
            return [];
        }

        return [new AmountApplied(EntityId, tx.Seq, tx.Amount, state.Balance + tx.Amount)];
    }

    /// <inheritdoc />
    protected override AccountState Apply(AccountState state, AmountApplied e) => new(e.Seq, e.Balance);

    /// <inheritdoc />
    protected override void Emit(AccountState state, IReadOnlyList<AmountApplied> events, RecordContext context)
    {
        foreach (var e in events)
        {
            context.Emit(AccountsSample.BalancesTopic, EntityId, new AccountBalance(EntityId, e.Seq, e.Balance));
        }
    }
}
