using System.Globalization;

namespace ActorStream.Topics;

/// <summary>Where a topic's declaration came from.</summary>
public enum TopicOrigin
{
    /// <summary>Declared under <c>actorstream.topics.&lt;name&gt;</c>.</summary>
    Declared,

    /// <summary>Read or written by a pipeline and not declared: derived from <c>actorstream.topic-defaults</c>.</summary>
    Derived,

    /// <summary>A pipeline's dead-letter topic, not declared: derived from its input topic (same partitions, <c>dlq-retention</c>).</summary>
    DerivedDeadLetter,
}

/// <summary>
/// The desired shape of one topic: partition count, replication, retention, cleanup policy and
/// any further broker configs. Read by <see cref="TopicDeclarations.FromConfig"/>.
/// </summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">Partition count; it bounds the parallelism of every consumer group (one consumer per partition).</param>
/// <param name="ReplicationFactor">Replicas per partition; -1 = the broker's default.</param>
/// <param name="Retention">How long records are kept; null = forever (<c>retention.ms = -1</c>).</param>
/// <param name="CleanupPolicy"><c>delete</c>, <c>compact</c> or <c>compact,delete</c>.</param>
/// <param name="MinInsyncReplicas">Replicas that must acknowledge an <c>acks=all</c> write; null = the broker's default.</param>
/// <param name="Keyed">Records are keyed (per-key order depends on key → partition): adding partitions moves keys and is refused unless forced.</param>
/// <param name="Configs">Further broker configs (e.g. <c>max.message.bytes</c>), passed as they are.</param>
/// <param name="Origin">Where the declaration came from.</param>
public sealed record TopicSettings(
    string Name,
    int Partitions,
    int ReplicationFactor,
    TimeSpan? Retention,
    string CleanupPolicy,
    int? MinInsyncReplicas,
    bool Keyed,
    IReadOnlyDictionary<string, string> Configs,
    TopicOrigin Origin)
{
    /// <summary>
    /// The broker configs this declaration sets: <c>cleanup.policy</c>, <c>retention.ms</c>,
    /// <c>min.insync.replicas</c> (when set) and <see cref="Configs"/> (which win on a clash).
    /// </summary>
    public IReadOnlyDictionary<string, string> BrokerConfigs()
    {
        var configs = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cleanup.policy"] = CleanupPolicy,
            ["retention.ms"] = Retention is { } r ? ((long)r.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : "-1",
        };
        if (MinInsyncReplicas is { } m)
        {
            configs["min.insync.replicas"] = m.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in Configs)
        {
            configs[key] = value;
        }

        return configs;
    }

    /// <inheritdoc />
    public bool Equals(TopicSettings? other) =>
        other is not null && Name == other.Name && Partitions == other.Partitions && ReplicationFactor == other.ReplicationFactor
        && Retention == other.Retention && CleanupPolicy == other.CleanupPolicy && MinInsyncReplicas == other.MinInsyncReplicas
        && Keyed == other.Keyed && Origin == other.Origin
        && Configs.Count == other.Configs.Count && Configs.All(kv => other.Configs.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Partitions, ReplicationFactor, Retention, CleanupPolicy, Origin);
}
