namespace ActorStream.Topics;

/// <summary>A topic as the cluster has it.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">Its partition count.</param>
/// <param name="ReplicationFactor">Replicas of its first partition.</param>
/// <param name="Configs">Its broker configs, or null when the broker does not describe configs (the embedded broker).</param>
public sealed record ClusterTopic(string Name, int Partitions, int ReplicationFactor, IReadOnlyDictionary<string, string>? Configs);
