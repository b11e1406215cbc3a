using System.Collections.Concurrent;
using ActorStream.Entities;

namespace ActorStream.Hosting.Tests;

/// <summary>A test record value: a per-key sequence number.</summary>
public sealed record SeqValue(long Seq);

/// <summary>Records what it handled, per topic (each test uses its own topic).</summary>
public sealed class OrderEntity : RecordEntity<SeqValue>
{
    public static readonly ConcurrentDictionary<string, ConcurrentQueue<(string Key, long Seq)>> Seen = new();

    public static ConcurrentQueue<(string Key, long Seq)> For(string topic) => Seen.GetOrAdd(topic, _ => new());

    protected override Task HandleAsync(SeqValue value, RecordContext context)
    {
        For(context.Record.Topic).Enqueue((EntityId, value.Seq));
        context.Emit($"{context.Record.Topic}.out", EntityId, new { key = EntityId, seq = value.Seq });
        return Task.CompletedTask;
    }
}

/// <summary>A second entity type, registered by name for config-declared pipelines.</summary>
public sealed class AuditEntity : RecordEntity<SeqValue>
{
    protected override Task HandleAsync(SeqValue value, RecordContext context) => Task.CompletedTask;
}
