using Akka.Configuration;
using ActorStream.Kafka.Settings;

namespace ActorStream.Kafka.Tests;

public class SettingsTests
{
    private static Config Kafka(string hocon) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(KafkaDefaults.ReferenceConfig).GetConfig("actorstream.kafka");

    [Fact]
    public void Reference_defaults_are_safe_for_at_least_once()
    {
        var consumer = ConsumerSettings<string, string>.Create(Kafka("actorstream.kafka.bootstrap-servers = \"b:9092\""));
        Assert.Equal("b:9092", consumer.BootstrapServers);
        var client = consumer.ToClientConfig();
        Assert.Equal("false", client["enable.auto.commit"]);
        Assert.Equal("false", client["enable.auto.offset.store"]);
        Assert.Equal("cooperative-sticky", client["partition.assignment.strategy"]);

        var producer = ProducerSettings<string, string>.Create(Kafka("actorstream.kafka.bootstrap-servers = \"b:9092\"")).ToClientConfig();
        Assert.Equal("true", producer["enable.idempotence"]);
        Assert.Equal("all", producer["acks"]);
        Assert.Equal("murmur2_random", producer["partitioner"]);

        var committer = CommitterSettings.Create(Kafka(""));
        Assert.Equal(1000, committer.MaxBatch);
        Assert.Equal(TimeSpan.FromSeconds(1), committer.MaxInterval);
    }

    [Fact]
    public void Missing_bootstrap_servers_names_the_key_and_the_environment_variable()
    {
        var settings = ConsumerSettings<string, string>.Create(Kafka("actorstream.kafka.bootstrap-servers = \"\"")).WithGroupId("g");
        var ex = Assert.Throws<KafkaConfigurationException>(() => settings.Validate(requireGroupId: true));
        Assert.Equal("actorstream.kafka.bootstrap-servers", ex.Key);
        Assert.Contains("KAFKA_BOOTSTRAP_SERVERS", ex.Message);

        var producer = ProducerSettings<string, string>.Create(Kafka("actorstream.kafka.bootstrap-servers = \"\""));
        var pex = Assert.Throws<KafkaConfigurationException>(() => producer.CreateProducer());
        Assert.Equal("actorstream.kafka.bootstrap-servers", pex.Key);
    }

    [Fact]
    public void Missing_group_id_is_refused_for_committing_sources()
    {
        var settings = ConsumerSettings<string, string>.Create(Kafka("actorstream.kafka.bootstrap-servers = \"b:1\""));
        var ex = Assert.Throws<KafkaConfigurationException>(() => settings.Validate(requireGroupId: true));
        Assert.Equal("actorstream.kafka.consumer.group-id", ex.Key);
    }

    [Fact]
    public void Unknown_enum_value_names_the_key_and_the_allowed_values()
    {
        var ex = Assert.Throws<KafkaConfigurationException>(() =>
            ConsumerSettings<string, string>.Create(Kafka("actorstream.kafka.consumer.properties { \"auto.offset.reset\" = sometimes }")));
        Assert.Contains("auto.offset.reset", ex.Key);
        Assert.Contains("sometimes", ex.Message);
        Assert.Contains("earliest", ex.Message);
        Assert.Contains("latest", ex.Message);

        var delivery = Assert.Throws<KafkaConfigurationException>(() => CommitterSettings.Create(Kafka("actorstream.kafka.committer.delivery = maybe")));
        Assert.Equal("actorstream.kafka.committer.delivery", delivery.Key);
        Assert.Contains("wait-for-ack, send-and-forget", delivery.Message);

        var acks = Assert.Throws<KafkaConfigurationException>(() =>
            ProducerSettings<string, string>.Create(Kafka("actorstream.kafka.producer.properties { acks = most }")));
        Assert.Contains("acks", acks.Key);
        Assert.Contains("all", acks.Message);
    }

    [Fact]
    public void Nested_property_syntax_is_flattened_like_quoted_keys()
    {
        var settings = ConsumerSettings<string, string>.Create(Kafka("actorstream.kafka.consumer.properties { fetch.min.bytes = 7 }"));
        Assert.Equal("7", settings.Properties["fetch.min.bytes"]);
    }

    [Theory]
    [InlineData("actorstream.kafka.committer.max-batch = -5", "actorstream.kafka.committer.max-batch")]
    [InlineData("actorstream.kafka.committer.max-batch = lots", "actorstream.kafka.committer.max-batch")]
    [InlineData("actorstream.kafka.committer.max-interval = 0s", "actorstream.kafka.committer.max-interval")]
    [InlineData("actorstream.kafka.committer.parallelism = 0", "actorstream.kafka.committer.parallelism")]
    public void Invalid_committer_values_name_the_key(string hocon, string key)
    {
        var ex = Assert.Throws<KafkaConfigurationException>(() => CommitterSettings.Create(Kafka(hocon)));
        Assert.Equal(key, ex.Key);
        Assert.StartsWith(key + ":", ex.Message);
    }

    [Theory]
    [InlineData("actorstream.kafka.consumer.max-buffered-per-partition = -1", "actorstream.kafka.consumer.max-buffered-per-partition")]
    [InlineData("actorstream.kafka.consumer.poll-timeout = soon", "actorstream.kafka.consumer.poll-timeout")]
    [InlineData("actorstream.kafka.consumer.commit-retry.max-attempts = 0", "actorstream.kafka.consumer.commit-retry.max-attempts")]
    [InlineData("actorstream.kafka.consumer.commit-retry { min-backoff = 2s, max-backoff = 1s }", "actorstream.kafka.consumer.commit-retry.max-backoff")]
    [InlineData("actorstream.kafka.consumer.publish-partition-events = sometimes", "actorstream.kafka.consumer.publish-partition-events")]
    [InlineData("actorstream.kafka.producer.parallelism = 0", "actorstream.kafka.producer.parallelism")]
    public void Invalid_consumer_and_producer_values_name_the_key(string hocon, string key)
    {
        var ex = Assert.Throws<KafkaConfigurationException>(() =>
        {
            _ = ConsumerSettings<string, string>.Create(Kafka(hocon));
            _ = ProducerSettings<string, string>.Create(Kafka(hocon));
        });
        Assert.Equal(key, ex.Key);
    }

    [Fact]
    public void Auto_commit_cannot_be_switched_on()
    {
        var ex = Assert.Throws<KafkaConfigurationException>(() =>
            ConsumerSettings<string, string>.Create(Kafka("actorstream.kafka.consumer.properties { \"enable.auto.commit\" = true }")));
        Assert.Contains("enable.auto.commit", ex.Key);
    }

    [Fact]
    public void With_methods_validate_like_config()
    {
        var committer = CommitterSettings.Create(Kafka(""));
        Assert.Equal("actorstream.kafka.committer.max-batch", Assert.Throws<KafkaConfigurationException>(() => committer.WithMaxBatch(-1)).Key);
        Assert.Equal(10, committer.WithMaxBatch(10).MaxBatch);
        Assert.Equal(1000, committer.MaxBatch); // immutable

        var consumer = ConsumerSettings<string, string>.Create(Kafka(""));
        Assert.Throws<KafkaConfigurationException>(() => consumer.WithMaxBufferedPerPartition(0));
        Assert.Throws<KafkaConfigurationException>(() => consumer.WithProperty("partition.assignment.strategy", "sticky-ish"));
    }

    [Fact]
    public void Librdkafka_rejects_unknown_properties_with_a_keyed_error()
    {
        var producer = ProducerSettings<string, string>.Create(Kafka("actorstream.kafka.bootstrap-servers = \"127.0.0.1:1\""))
            .WithProperty("no.such.property", "1");
        var ex = Assert.Throws<KafkaConfigurationException>(() => producer.CreateProducer());
        Assert.Equal("actorstream.kafka.producer.properties", ex.Key);
        Assert.Contains("no.such.property", ex.Message);
    }
}
