using System.Collections.Concurrent;
using ActorStream.Entities;

namespace ActorStream.Tests.Pipelines;

/// <summary>A test record value: a per-key sequence number, an optional failure, an optional delay, an optional padding of the output (bytes).</summary>
public sealed record SeqValue(long Seq, bool Fail = false, int DelayMs = 0, int HangAttempts = 0, int PadOutput = 0);

/// <summary>What test entities saw, per test run (keyed by a run id carried in the topic name).</summary>
public static class Journal
{
    public static readonly ConcurrentDictionary<string, ConcurrentQueue<(string Key, long Seq, int Attempt)>> Runs = new();

    public static ConcurrentQueue<(string Key, long Seq, int Attempt)> For(string topic) => Runs.GetOrAdd(topic, _ => new());
}

/// <summary>Records every handled value, optionally after a delay; throws when the value says so; emits (key, seq).</summary>
public sealed class SeqEntity : RecordEntity<SeqValue>
{
    protected override async Task HandleAsync(SeqValue value, RecordContext context)
    {
        if (value.DelayMs > 0)
        {
            await Task.Delay(value.DelayMs);
        }

        if (context.Attempt <= value.HangAttempts)
        {
            // Never acknowledges within ack-timeout (the host gives up on this attempt first).
            Journal.For(context.Record.Topic).Enqueue((EntityId, -1000 - value.Seq, context.Attempt));
            await Task.Delay(TimeSpan.FromSeconds(30));
        }

        if (value.Fail)
        {
            Journal.For(context.Record.Topic).Enqueue((EntityId, -value.Seq, context.Attempt));
            throw new InvalidOperationException($"boom on {EntityId} seq {value.Seq}");
        }

        Journal.For(context.Record.Topic).Enqueue((EntityId, value.Seq, context.Attempt));
        if (value.PadOutput > 0)
        {
            context.Emit($"{context.Record.Topic}.out", EntityId, new { key = EntityId, seq = value.Seq, pad = new string('x', value.PadOutput) });
            return;
        }

        context.Emit($"{context.Record.Topic}.out", EntityId, new { key = EntityId, seq = value.Seq });
    }
}
