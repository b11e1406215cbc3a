using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Kafka.Settings;
using ActorStream.Pipelines.Settings;
using ActorStream.Topics;
using Microsoft.Extensions.Logging;
using Config = Akka.Configuration.Config;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// Start-up check against the cluster: every topic the pipelines read, emit to and dead-letter to
/// exists, and declared partition counts match (a different count changes key placement and the
/// parallelism the deployment was sized for).
/// </summary>
internal static class TopicStartupCheck
{
    /// <exception cref="NodeConfigException">Kafka cannot be read, or topics are missing or differ from their declaration.</exception>
    public static void Check(Config config, IReadOnlyList<PipelineSettings> pipelines, IReadOnlyList<TopicSettings> topics, ILogger logger)
    {
        IReadOnlyDictionary<string, ClusterTopic> cluster;
        try
        {
            using var admin = KafkaTopicAdmin.Create(config, NodeConfig.TopicCheckTimeout(config));
            cluster = admin.DescribeAsync(topics.Select(t => t.Name)).GetAwaiter().GetResult();
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            throw new NodeConfigException(
                $"cannot read topic metadata from Kafka at {NodeConfig.BootstrapServers(config)}: {ex.Error.Reason}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable} and that the brokers are reachable");
        }

        var problems = new List<string>();
        foreach (var topic in topics)
        {
            var users = pipelines.Where(p => p.Topics.Contains(topic.Name) || p.EmitTopics.Contains(topic.Name) || p.DlqTopic == topic.Name)
                .Select(p => $"pipeline {p.Name}").ToList();
            if (!cluster.TryGetValue(topic.Name, out var actual))
            {
                problems.Add($"topic '{topic.Name}' ({string.Join(", ", users)}) does not exist; create it with `actorstream topics apply` (same --config) or your platform's tooling");
            }
            else if (actual.Partitions != topic.Partitions)
            {
                var message = $"topic '{topic.Name}' has {actual.Partitions} partitions, declared {topic.Partitions} (actorstream.topics.\"{topic.Name}\".partitions)";
                if (topic.Origin == TopicOrigin.Declared)
                {
                    problems.Add(message + "; fix the declaration or the topic (`actorstream topics plan` shows the differences)");
                }
                else
                {
                    logger.LogWarning("{Message} — derived from actorstream.topic-defaults; declare the topic to make this an error", message);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new NodeConfigException(string.Join(Environment.NewLine + "  ", ["topics do not match the configuration:", .. problems]));
        }
    }
}
