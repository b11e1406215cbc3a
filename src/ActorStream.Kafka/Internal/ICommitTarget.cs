using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>One partition's next offset to commit, tagged with the assignment it was consumed under.</summary>
internal readonly record struct PendingOffset(TopicPartition Partition, long NextOffset, long AssignmentEpoch);

/// <summary>The consumer that committable offsets commit through.</summary>
internal interface ICommitTarget
{
    /// <summary>Identifies the consumer in logs and metrics.</summary>
    string ConsumerId { get; }

    /// <summary>Commits the offsets of still-assigned partitions; completes after the broker's acknowledgement.</summary>
    Task CommitAsync(IReadOnlyCollection<PendingOffset> offsets, CancellationToken cancellationToken);

    /// <summary>Registers a committer stage that is asked to flush its batch when partitions are revoked.</summary>
    void RegisterFlusher(ICommitFlusher flusher);

    /// <summary>Removes a committer stage registered with <see cref="RegisterFlusher"/>.</summary>
    void UnregisterFlusher(ICommitFlusher flusher);
}

/// <summary>A committer stage holding collected, not yet sent offsets.</summary>
internal interface ICommitFlusher
{
    /// <summary>Sends the collected offsets of <paramref name="partitions"/> now; completes when they are committed.</summary>
    Task FlushAsync(IReadOnlyCollection<TopicPartition> partitions);
}
