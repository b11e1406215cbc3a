namespace ActorStream.Kafka.Messages;

/// <summary>Something that can be committed to Kafka: one offset or a batch of them.</summary>
public interface ICommittable
{
    /// <summary>Number of consumed records this committable stands for.</summary>
    long BatchSize { get; }

    /// <summary>
    /// Commits now, without batching. Completes when the broker acknowledged the commit; offsets of
    /// partitions no longer assigned to the consumer are skipped (never committed by a former owner).
    /// Prefer the batched <c>Committer</c> flow/sink in streams.
    /// </summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}
