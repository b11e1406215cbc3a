using ActorStream.Entities;
using ActorStream.Persistence;

namespace ActorStream.Service;

/// <summary>An order line on the <c>orders</c> topic, keyed by <see cref="OrderId"/>: <c>{"orderId":"o-1","seq":1,"sku":"apple","quantity":3}</c>.</summary>
public sealed record OrderLine(string OrderId, long Seq, string Sku, int Quantity);

/// <summary>What <see cref="OrderEntity"/> emits to <c>orders.totals</c> after each line, keyed by order.</summary>
public sealed record OrderTotal(string OrderId, long Seq, decimal LineTotal, decimal Total);

/// <summary>The journaled event: a line was added to the order.</summary>
[EventType("LineAdded", 1)]
public sealed record LineAdded(long Seq, string Sku, int Quantity, decimal LineTotal, decimal Total);

/// <summary>An order's state (also its snapshot): the last applied line and the running total.</summary>
public sealed record OrderState(long LastSeq, decimal Total);

/// <summary>
/// One entity per order id. Prices come from <see cref="IPriceList"/>, a constructor dependency from
/// the host's services. The state is event-sourced (SQLite by default, PostgreSQL for a cluster):
/// it survives restarts and rebalances, and a redelivered record is not applied twice.
/// </summary>
public sealed class OrderEntity(IPriceList prices) : EventSourcedEntity<OrderLine, OrderState, LineAdded>
{
    /// <inheritdoc />
    protected override OrderState InitialState() => new(0, 0m);

    /// <inheritdoc />
    protected override IEnumerable<LineAdded> Decide(OrderLine line, OrderState state, RecordContext context)
    {
        if (line.OrderId != EntityId)
        {
            // Never succeeds on retry: the pipeline's supervision rule sends it to the DLQ at once.
            throw new InvalidOperationException($"line for order '{line.OrderId}' arrived at entity '{EntityId}' (record key and orderId differ)");
        }

        if (line.Seq <= state.LastSeq)
        {
            return [];
        }

        var lineTotal = prices.PriceOf(line.Sku) * line.Quantity;
        return [new LineAdded(line.Seq, line.Sku, line.Quantity, lineTotal, state.Total + lineTotal)];
    }

    /// <inheritdoc />
    protected override OrderState Apply(OrderState state, LineAdded e) => new(e.Seq, e.Total);

    /// <inheritdoc />
    protected override void Emit(OrderState state, IReadOnlyList<LineAdded> events, RecordContext context)
    {
        foreach (var e in events)
        {
            context.Emit("orders.totals", EntityId, new OrderTotal(EntityId, e.Seq, e.LineTotal, e.Total));
        }
    }
}
