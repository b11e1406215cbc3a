using ActorStream.Kafka.Internal;
using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// Offsets collected for one commit: the highest offset per partition wins. Immutable;
/// <see cref="Updated"/> returns a new batch.
/// </summary>
public sealed class CommittableOffsetBatch : ICommittable
{
    /// <summary>An empty batch.</summary>
    public static readonly CommittableOffsetBatch Empty = new(new Dictionary<(ICommitTarget, TopicPartition), PendingOffset>(), 0);

    private readonly Dictionary<(ICommitTarget Target, TopicPartition Partition), PendingOffset> _offsets;

    private CommittableOffsetBatch(Dictionary<(ICommitTarget, TopicPartition), PendingOffset> offsets, long batchSize)
    {
        _offsets = offsets;
        BatchSize = batchSize;
    }

    /// <inheritdoc />
    public long BatchSize { get; }

    /// <summary>True when the batch holds no offset.</summary>
    public bool IsEmpty => _offsets.Count == 0;

    /// <summary>Next offset to commit (record offset + 1) per partition.</summary>
    public IReadOnlyDictionary<TopicPartition, long> Offsets =>
        _offsets.Values.GroupBy(o => o.Partition).ToDictionary(g => g.Key, g => g.Max(o => o.NextOffset));

    /// <summary>Returns a new batch that also covers <paramref name="committable"/>.</summary>
    public CommittableOffsetBatch Updated(ICommittable committable)
    {
        var copy = new Dictionary<(ICommitTarget, TopicPartition), PendingOffset>(_offsets);
        Merge(copy, committable);
        return new CommittableOffsetBatch(copy, BatchSize + committable.BatchSize);
    }

    /// <summary>Creates a batch of the given committables.</summary>
    public static CommittableOffsetBatch Of(IEnumerable<ICommittable> committables)
    {
        var dict = new Dictionary<(ICommitTarget, TopicPartition), PendingOffset>();
        long size = 0;
        foreach (var c in committables)
        {
            Merge(dict, c);
            size += c.BatchSize;
        }

        return new CommittableOffsetBatch(dict, size);
    }

    /// <inheritdoc />
    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_offsets.Count == 0)
        {
            return Task.CompletedTask;
        }

        var perTarget = _offsets.GroupBy(kv => kv.Key.Target).ToList();
        if (perTarget.Count == 1)
        {
            return perTarget[0].Key.CommitAsync(perTarget[0].Select(kv => kv.Value).ToList(), cancellationToken);
        }

        return Task.WhenAll(perTarget.Select(g => g.Key.CommitAsync(g.Select(kv => kv.Value).ToList(), cancellationToken)));
    }

    /// <summary>Committer stages waiting for this batch to be committed (revoke flush).</summary>
    internal List<TaskCompletionSource>? FlushWaiters { get; set; }

    internal static CommittableOffsetBatch FromCollected(Dictionary<(ICommitTarget, TopicPartition), PendingOffset> offsets, long batchSize) =>
        new(offsets, batchSize);

    internal IEnumerable<ICommitTarget> Targets => _offsets.Keys.Select(k => k.Target).Distinct();

    internal static void Merge(Dictionary<(ICommitTarget, TopicPartition), PendingOffset> into, ICommittable committable)
    {
        switch (committable)
        {
            case CommittableOffset single:
                MergeOne(into, single.Target, single.ToPending());
                break;
            case CommittableOffsetBatch batch:
                foreach (var (k, v) in batch._offsets)
                {
                    MergeOne(into, k.Target, v);
                }

                break;
            default:
                throw new ArgumentException($"Unsupported committable {committable.GetType().Name}", nameof(committable));
        }
    }

    private static void MergeOne(Dictionary<(ICommitTarget, TopicPartition), PendingOffset> into, ICommitTarget target, PendingOffset offset)
    {
        var key = (target, offset.Partition);
        if (!into.TryGetValue(key, out var existing)
            || offset.AssignmentEpoch > existing.AssignmentEpoch
            || (offset.AssignmentEpoch == existing.AssignmentEpoch && offset.NextOffset > existing.NextOffset))
        {
            into[key] = offset;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"CommittableOffsetBatch({BatchSize} records: {string.Join(", ", Offsets.Select(kv => $"{kv.Key.Topic}[{kv.Key.Partition.Value}]->{kv.Value}"))})";
}
