using ActorStream.Entities;

namespace ActorStream.Host.Sample;

/// <summary>
/// The sample entity: one per account id. Keeps the balance and the last applied <c>seq</c>, and
/// emits <c>{"accountId","seq","balance"}</c> to <c>accounts.balances</c> for every transaction. A
/// transaction whose seq is not above the last applied one (a redelivery) is acknowledged without
/// being applied or emitted again.
/// </summary>
/// <remarks>State lives in the actor; the event-sourced version keeps it across restarts.</remarks>
public sealed class AccountEntity : RecordEntity<AccountTransaction>
{
    private long _lastSeq;
    private decimal _balance;

    /// <inheritdoc />
    protected override Task HandleAsync(AccountTransaction tx, RecordContext context)
    {
        if (tx.AccountId != EntityId)
        {
            throw new InvalidOperationException($"transaction for account '{tx.AccountId}' arrived at entity '{EntityId}' (record key and accountId differ)");
        }

        if (tx.Seq <= _lastSeq)
        {
            return Task.CompletedTask;
        }

        _balance += tx.Amount;
        _lastSeq = tx.Seq;
        context.Emit(AccountsSample.BalancesTopic, EntityId, new AccountBalance(EntityId, _lastSeq, _balance));
        return Task.CompletedTask;
    }
}
