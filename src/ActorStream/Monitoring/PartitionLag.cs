namespace ActorStream.Monitoring;

/// <summary>Burrow-style status of one partition of a consumer group.</summary>
public enum PartitionStatus
{
    /// <summary>Caught up, or the committed offset moves.</summary>
    Ok,

    /// <summary>Lag grew over the whole stall window while the group still commits.</summary>
    Warn,

    /// <summary>The committed offset has not moved for the stall window while there is lag.</summary>
    Stalled,

    /// <summary>The committed offset has not moved for <c>stopped-after</c> while there is lag: nobody processes it.</summary>
    Stopped,
}

/// <summary>Lag of one partition at one time.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Committed">The group's committed offset (the next record it will process), or the log start when it never committed.</param>
/// <param name="HighWatermark">The partition's end offset.</param>
/// <param name="Status">Its status over the recent history.</param>
/// <param name="CommittedUnchangedFor">How long the committed offset has stood still (zero when it just moved).</param>
public sealed record PartitionLag(string Topic, int Partition, long Committed, long HighWatermark, PartitionStatus Status, TimeSpan CommittedUnchangedFor)
{
    /// <summary>Records not yet processed: high watermark − committed.</summary>
    public long Lag => Math.Max(0, HighWatermark - Committed);
}

/// <summary>The lag of one pipeline's group over all partitions of its topics (the whole group, not only this node's).</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="GroupId">Its consumer group.</param>
/// <param name="At">When it was read.</param>
/// <param name="Partitions">Every partition of its topics.</param>
/// <param name="DeadLettersPerMinute">Records written to its dead-letter topic per minute over the last sample interval.</param>
/// <param name="DeadLetters">Records written to its dead-letter topic so far (sum of its end offsets).</param>
public sealed record PipelineLag(string Pipeline, string GroupId, DateTimeOffset At, IReadOnlyList<PartitionLag> Partitions, double DeadLettersPerMinute, long DeadLetters = 0)
{
    /// <summary>Total lag over the partitions.</summary>
    public long TotalLag => Partitions.Sum(p => p.Lag);

    /// <summary>The worst partition status.</summary>
    public PartitionStatus Status => Partitions.Count == 0 ? PartitionStatus.Ok : Partitions.Max(p => p.Status);
}
