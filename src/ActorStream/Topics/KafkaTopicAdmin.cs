using Akka.Configuration;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Config = Akka.Configuration.Config;

namespace ActorStream.Topics;

/// <summary>
/// Reads and changes topics through Kafka's AdminClient (metadata, DescribeConfigs, CreateTopics,
/// CreatePartitions, IncrementalAlterConfigs). Connection properties (bootstrap servers, security)
/// come from the connector's consumer settings, so it reaches the cluster the pipelines use.
/// </summary>
public sealed class KafkaTopicAdmin : IDisposable
{
    private static readonly string[] ConnectionPrefixes = ["bootstrap.servers", "security.", "sasl.", "ssl.", "socket.", "client.", "broker.", "api.version", "metadata."];
    private readonly IAdminClient _admin;
    private readonly TimeSpan _timeout;

    private KafkaTopicAdmin(IAdminClient admin, TimeSpan timeout)
    {
        _admin = admin;
        _timeout = timeout;
    }

    /// <summary>Connects with the connection properties of <c>actorstream.kafka.consumer</c> in <paramref name="config"/>.</summary>
    /// <param name="config">The application's configuration.</param>
    /// <param name="timeout">Timeout of each admin request.</param>
    /// <exception cref="KafkaConfigurationException">The bootstrap servers are missing.</exception>
    public static KafkaTopicAdmin Create(Config config, TimeSpan? timeout = null)
    {
        var consumer = ConsumerSettings<Ignore, Ignore>.Create(KafkaDefaults.Section(config));
        var properties = consumer.ToClientConfig()
            .Where(kv => ConnectionPrefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        if (!properties.TryGetValue("bootstrap.servers", out var servers) || string.IsNullOrWhiteSpace(servers))
        {
            throw new KafkaConfigurationException("actorstream.kafka.bootstrap-servers",
                $"is not set; set it in configuration or in the {KafkaDefaults.BootstrapServersEnvironmentVariable} environment variable (host:port[,host:port...])");
        }

        return new KafkaTopicAdmin(new AdminClientBuilder(properties).SetLogHandler((_, _) => { }).Build(), timeout ?? TimeSpan.FromSeconds(15));
    }

    /// <summary>
    /// The cluster's topics (internal ones excluded), with their configs when the broker describes
    /// them (the embedded broker does not: <see cref="ClusterTopic.Configs"/> is null then).
    /// </summary>
    /// <param name="names">Only these topics; null for all.</param>
    /// <exception cref="KafkaException">The cluster cannot be reached.</exception>
    public async Task<IReadOnlyDictionary<string, ClusterTopic>> DescribeAsync(IEnumerable<string>? names = null)
    {
        var wanted = names?.ToHashSet(StringComparer.Ordinal);
        var metadata = _admin.GetMetadata(_timeout);
        var topics = metadata.Topics
            .Where(t => t.Error.Code == ErrorCode.NoError && !t.Topic.StartsWith("__", StringComparison.Ordinal) && (wanted is null || wanted.Contains(t.Topic)))
            .ToList();

        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? configs = null;
        if (topics.Count > 0)
        {
            try
            {
                var described = await _admin.DescribeConfigsAsync(
                    topics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t.Topic }),
                    new DescribeConfigsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
                configs = described.ToDictionary(
                    d => d.ConfigResource.Name,
                    d => (IReadOnlyDictionary<string, string>)d.Entries.Where(e => e.Value.Value is not null).ToDictionary(e => e.Key, e => e.Value.Value));
            }
            catch (KafkaException)
            {
                // Brokers without DescribeConfigs (the embedded mock): configs stay unknown and the plan says so.
            }
        }

        return topics.ToDictionary(
            t => t.Topic,
            t => new ClusterTopic(t.Topic, t.Partitions.Count, t.Partitions.Count == 0 ? 0 : t.Partitions[0].Replicas.Length, configs?.GetValueOrDefault(t.Topic)),
            StringComparer.Ordinal);
    }

    /// <summary>Creates the topic as declared.</summary>
    /// <exception cref="CreateTopicsException">The broker refused (the message carries its reason).</exception>
    public Task CreateAsync(TopicSettings topic) =>
        _admin.CreateTopicsAsync(
            [new TopicSpecification
            {
                Name = topic.Name,
                NumPartitions = topic.Partitions,
                ReplicationFactor = (short)topic.ReplicationFactor,
                Configs = topic.BrokerConfigs().ToDictionary(kv => kv.Key, kv => kv.Value),
            }],
            new CreateTopicsOptions { RequestTimeout = _timeout, OperationTimeout = _timeout });

    /// <summary>Raises the topic's partition count to <paramref name="total"/>.</summary>
    public Task AddPartitionsAsync(string topic, int total) =>
        _admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = total }], new CreatePartitionsOptions { RequestTimeout = _timeout });

    /// <summary>Sets one broker config of the topic (IncrementalAlterConfigs: other configs stay).</summary>
    public Task SetConfigAsync(string topic, string key, string value) =>
        _admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [new ConfigResource { Type = ResourceType.Topic, Name = topic }] = [new ConfigEntry { Name = key, Value = value, IncrementalOperation = AlterConfigOpType.Set }],
            },
            new IncrementalAlterConfigsOptions { RequestTimeout = _timeout });

    /// <inheritdoc />
    public void Dispose() => _admin.Dispose();
}
