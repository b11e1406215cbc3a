using System.Globalization;

namespace ActorStream.Topics;

/// <summary>Compares declared topics with the cluster's (pure: no I/O).</summary>
public static class TopicPlanner
{
    /// <summary>Broker configs that are not compared because brokers report them in another form or they are not ours to manage.</summary>
    private static readonly HashSet<string> Unmanaged = new(StringComparer.Ordinal);

    /// <summary>
    /// The plan that brings <paramref name="cluster"/> to <paramref name="declared"/>: creations,
    /// partition increases (dangerous for keyed topics), partition counts above the declaration
    /// (not applicable: Kafka never removes partitions), replication differences (reported only)
    /// and config differences.
    /// </summary>
    /// <param name="declared">The declared topics.</param>
    /// <param name="cluster">The cluster's topics by name.</param>
    public static TopicPlan Plan(IEnumerable<TopicSettings> declared, IReadOnlyDictionary<string, ClusterTopic> cluster)
    {
        var changes = new List<TopicChange>();
        var notes = new List<string>();
        foreach (var topic in declared.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (!cluster.TryGetValue(topic.Name, out var actual))
            {
                changes.Add(new TopicChange(TopicChangeKind.Create, topic.Name,
                    string.Create(CultureInfo.InvariantCulture, $"create: {topic.Partitions} partitions, replication {(topic.ReplicationFactor < 0 ? "broker default" : topic.ReplicationFactor)}, {Describe(topic.BrokerConfigs())}"),
                    Applicable: true, Dangerous: false, topic));
                continue;
            }

            if (actual.Partitions < topic.Partitions)
            {
                changes.Add(new TopicChange(TopicChangeKind.AddPartitions, topic.Name,
                    string.Create(CultureInfo.InvariantCulture, $"partitions {actual.Partitions} → {topic.Partitions}")
                    + (topic.Keyed ? " (keyed topic: keys move to other partitions, per-key order breaks across the change)" : ""),
                    Applicable: true, Dangerous: topic.Keyed, topic));
            }
            else if (actual.Partitions > topic.Partitions)
            {
                changes.Add(new TopicChange(TopicChangeKind.PartitionsAboveDeclared, topic.Name,
                    string.Create(CultureInfo.InvariantCulture, $"has {actual.Partitions} partitions, declared {topic.Partitions}: Kafka cannot remove partitions; declare {actual.Partitions}"),
                    Applicable: false, Dangerous: false, topic));
            }

            if (topic.ReplicationFactor > 0 && actual.ReplicationFactor != topic.ReplicationFactor)
            {
                changes.Add(new TopicChange(TopicChangeKind.ReplicationDiffers, topic.Name,
                    string.Create(CultureInfo.InvariantCulture, $"replication {actual.ReplicationFactor}, declared {topic.ReplicationFactor}: change it with a partition reassignment (kafka-reassign-partitions)"),
                    Applicable: false, Dangerous: false, topic));
            }

            if (actual.Configs is null)
            {
                notes.Add($"{topic.Name}: the broker does not describe topic configs; {Describe(topic.BrokerConfigs())} not compared");
                continue;
            }

            foreach (var (key, value) in topic.BrokerConfigs())
            {
                if (Unmanaged.Contains(key))
                {
                    continue;
                }

                var current = actual.Configs.GetValueOrDefault(key);
                if (!SameValue(key, current, value))
                {
                    changes.Add(new TopicChange(TopicChangeKind.SetConfig, topic.Name, $"{key} {current ?? "(unset)"} → {value}",
                        Applicable: true, Dangerous: false, topic, key, value));
                }
            }
        }

        return new TopicPlan(changes.AsReadOnly(), notes.AsReadOnly());
    }

    private static bool SameValue(string key, string? current, string declared) =>
        current is not null && (key == "cleanup.policy"
            ? string.Join(',', current.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)) == string.Join(',', declared.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal))
            : current == declared);

    private static string Describe(IReadOnlyDictionary<string, string> configs) => string.Join(", ", configs.Select(kv => $"{kv.Key}={kv.Value}"));
}
