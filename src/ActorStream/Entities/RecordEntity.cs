using Akka.Actor;

namespace ActorStream.Entities;

/// <summary>
/// Base class for the common entity: handle one record's value at a time, maybe emit outputs. The
/// value arrives decoded (JSON by default) as <typeparamref name="TValue"/>; records that cannot be
/// decoded never reach the entity (they go to the dead-letter topic). Throw to fail: the pipeline's
/// supervision retries the same record with backoff (later records of this key wait, other keys
/// flow), dead-letters it, or stops. Outputs that cannot be written yet (the output topic unavailable)
/// are not the record's fault: the record is retried — the handler runs again — for as long as that
/// lasts, never dead-lettered. State kept in fields lives as long as the actor (lost on restart,
/// rebalance and passivation); for state that must survive derive from
/// <see cref="EventSourcedEntity{TValue, TState, TEvent}"/> instead.
/// </summary>
/// <typeparam name="TValue">The record value type.</typeparam>
public abstract class RecordEntity<TValue> : ReceiveActor
{
    /// <summary>Wires the record protocol.</summary>
    protected RecordEntity()
    {
        ReceiveAsync<ProcessRecord>(OnProcessAsync);
    }

    /// <summary>The entity id (record key); set before the first record is handled.</summary>
    protected string EntityId { get; private set; } = "";

    /// <summary>Handles one record. Outputs emitted through <paramref name="context"/> are produced after it returns.</summary>
    protected abstract Task HandleAsync(TValue value, RecordContext context);

    private async Task OnProcessAsync(ProcessRecord message)
    {
        var replyTo = Sender;
        EntityId = message.EntityId;
        var context = new RecordContext(message);
        await HandleAsync((TValue)message.Value!, context);
        if (context.Outputs.Count > 0)
        {
            replyTo.Tell(new Internal.Protocol.OutputsInFlight(message.Record.Offset));
            await ActorStreamExtension.Get(Context.System).Emitter.EmitAsync(context.Outputs);
        }

        replyTo.Tell(new RecordProcessed(message.Record.Offset));
    }
}
