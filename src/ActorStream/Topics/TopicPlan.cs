namespace ActorStream.Topics;

/// <summary>What a change of the plan does.</summary>
public enum TopicChangeKind
{
    /// <summary>The topic is missing: create it.</summary>
    Create,

    /// <summary>Fewer partitions than declared: add partitions (moves keys of a keyed topic).</summary>
    AddPartitions,

    /// <summary>More partitions than declared: Kafka cannot remove partitions; fix the declaration.</summary>
    PartitionsAboveDeclared,

    /// <summary>Replication differs: needs a partition reassignment, which this tool does not do.</summary>
    ReplicationDiffers,

    /// <summary>A broker config differs: set it.</summary>
    SetConfig,
}

/// <summary>One difference between the declaration and the cluster.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Description">One line for people, e.g. <c>partitions 4 → 8</c>.</param>
/// <param name="Applicable"><c>apply</c> can make it (possibly only when forced, see <see cref="Dangerous"/>).</param>
/// <param name="Dangerous">Applying it has consequences beyond the topic's shape (a partition increase on a keyed topic moves keys between partitions and breaks per-key order across the change).</param>
/// <param name="Declared">The declaration (for creations and partition changes).</param>
/// <param name="ConfigKey">For <see cref="TopicChangeKind.SetConfig"/>: the broker config.</param>
/// <param name="ConfigValue">For <see cref="TopicChangeKind.SetConfig"/>: the declared value.</param>
public sealed record TopicChange(
    TopicChangeKind Kind,
    string Topic,
    string Description,
    bool Applicable,
    bool Dangerous,
    TopicSettings Declared,
    string? ConfigKey = null,
    string? ConfigValue = null);

/// <summary>The differences between declared topics and the cluster; empty = in sync.</summary>
/// <param name="Changes">The differences, by topic then kind.</param>
/// <param name="Notes">Things that could not be compared (e.g. configs on a broker that does not describe them).</param>
public sealed record TopicPlan(IReadOnlyList<TopicChange> Changes, IReadOnlyList<string> Notes)
{
    /// <summary>True when the cluster matches every declaration.</summary>
    public bool InSync => Changes.Count == 0;
}
