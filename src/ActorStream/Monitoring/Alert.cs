namespace ActorStream.Monitoring;

/// <summary>An alert rule.</summary>
public enum AlertRule
{
    /// <summary>A pipeline's total lag stayed above the threshold for the configured time.</summary>
    LagAbove,

    /// <summary>A pipeline's total lag grew for the configured time.</summary>
    LagGrowing,

    /// <summary>A partition is STALLED or STOPPED.</summary>
    StalledPartition,

    /// <summary>Dead letters per minute above the configured rate.</summary>
    DlqRateAbove,

    /// <summary>A key's oldest unacknowledged record waits longer than the configured time.</summary>
    StuckKey,

    /// <summary>Offsets were skipped because a committed offset was outside the partition's log.</summary>
    OffsetsSkipped,

    /// <summary>More partition events (rebalances) of a group than allowed within the window.</summary>
    RebalanceStorm,
}

/// <summary>A firing (or resolved) alert.</summary>
/// <param name="Id">Stable identity: rule, pipeline and partition (when per partition).</param>
/// <param name="Rule">The rule.</param>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Topic">The topic, for per-partition alerts.</param>
/// <param name="Partition">The partition, for per-partition alerts.</param>
/// <param name="Message">What is wrong, with the numbers, and what to look at.</param>
/// <param name="FiredAt">When it started firing.</param>
/// <param name="ResolvedAt">When the condition cleared; null while firing.</param>
public sealed record Alert(string Id, AlertRule Rule, string Pipeline, string? Topic, int? Partition, string Message, DateTimeOffset FiredAt, DateTimeOffset? ResolvedAt = null)
{
    /// <summary>True while the condition holds.</summary>
    public bool Firing => ResolvedAt is null;
}

/// <summary>Published on the actor system's event stream when an alert starts firing.</summary>
/// <param name="Alert">The alert.</param>
public sealed record AlertFired(Alert Alert);

/// <summary>Published on the actor system's event stream when an alert's condition cleared.</summary>
/// <param name="Alert">The alert, with <see cref="Alert.ResolvedAt"/> set.</param>
public sealed record AlertResolved(Alert Alert);

/// <summary>The oldest unacknowledged record of one partition on this node, as its partition stream reports it.</summary>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="EntityId">The key whose record it is.</param>
/// <param name="Offset">Its offset.</param>
/// <param name="Age">How long it has been waiting for its acknowledgement.</param>
/// <param name="ReportedAt">When the stream reported it.</param>
public sealed record OldestUnacked(string Pipeline, string Topic, int Partition, string EntityId, long Offset, TimeSpan Age, DateTimeOffset ReportedAt);
