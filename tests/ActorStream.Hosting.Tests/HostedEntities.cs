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

/// <summary>A service the entity below takes in its constructor (a singleton).</summary>
public interface IGreeter
{
    string Greet(string key, long seq);
}

public sealed class Greeter : IGreeter
{
    public string Greet(string key, long seq) => $"hello {key} #{seq}";
}

/// <summary>A scoped service: one instance per entity instance (its DI scope), disposed with it.</summary>
public sealed class EntityScope : IDisposable
{
    public static readonly ConcurrentDictionary<Guid, bool> Live = new();

    public Guid Id { get; } = Guid.NewGuid();

    public EntityScope() => Live[Id] = true;

    public void Dispose() => Live[Id] = false;
}

/// <summary>An entity with constructor dependencies: what it handled, per topic, with the scope it ran in.</summary>
public sealed class GreetingEntity(IGreeter greeter, EntityScope scope) : RecordEntity<SeqValue>
{
    public static readonly ConcurrentDictionary<string, ConcurrentQueue<(string Key, long Seq, string Greeting, Guid Scope)>> Seen = new();

    public static ConcurrentQueue<(string Key, long Seq, string Greeting, Guid Scope)> For(string topic) => Seen.GetOrAdd(topic, _ => new());

    protected override Task HandleAsync(SeqValue value, RecordContext context)
    {
        var greeting = greeter.Greet(EntityId, value.Seq);
        For(context.Record.Topic).Enqueue((EntityId, value.Seq, greeting, scope.Id));
        context.Emit($"{context.Record.Topic}.out", EntityId, new { greeting });
        return Task.CompletedTask;
    }
}
