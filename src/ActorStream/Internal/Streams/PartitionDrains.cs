using System.Collections.Concurrent;
using ActorStream.Kafka.Messages;
using Confluent.Kafka;

namespace ActorStream.Internal.Streams;

/// <summary>
/// Tracks each partition stream of a pipeline until it has finished: all in-flight records acked
/// and the last commit position emitted. On revoke the consumer waits for it (bounded by its
/// revoke-timeout) before it flushes commits and releases the partition, so the next owner starts
/// after everything this node processed and nothing in flight is redelivered.
/// </summary>
internal sealed class PartitionDrains : IPartitionEventHandler
{
    private readonly ConcurrentDictionary<TopicPartition, ConcurrentBag<TaskCompletionSource>> _streams = new();
    private readonly IPartitionEventHandler? _inner;

    public PartitionDrains(IPartitionEventHandler? inner)
    {
        _inner = inner;
    }

    /// <summary>A partition stream started; complete the returned source when it has finished.</summary>
    public TaskCompletionSource Register(TopicPartition partition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _streams.GetOrAdd(partition, _ => []).Add(done);
        return done;
    }

    /// <summary>Completes when every stream of <paramref name="partitions"/> has finished.</summary>
    public Task WhenDrained(IEnumerable<TopicPartition> partitions)
    {
        var pending = new List<Task>();
        foreach (var partition in partitions)
        {
            if (_streams.TryGetValue(partition, out var streams))
            {
                pending.AddRange(streams.Where(s => !s.Task.IsCompleted).Select(s => s.Task));
            }
        }

        return Task.WhenAll(pending);
    }

    public void OnAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        // A partition assigned again starts with fresh streams; finished ones are forgotten.
        foreach (var partition in partitions)
        {
            if (_streams.TryGetValue(partition, out var streams) && streams.All(s => s.Task.IsCompleted))
            {
                _streams.TryRemove(partition, out _);
            }
        }

        _inner?.OnAssigned(partitions);
    }

    public async Task OnRevokedAsync(IReadOnlyList<TopicPartition> partitions)
    {
        await WhenDrained(partitions).ConfigureAwait(false);
        if (_inner is not null)
        {
            await _inner.OnRevokedAsync(partitions).ConfigureAwait(false);
        }
    }

    public void OnLost(IReadOnlyList<TopicPartition> partitions) => _inner?.OnLost(partitions);
}
