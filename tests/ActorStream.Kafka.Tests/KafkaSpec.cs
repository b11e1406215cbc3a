using Akka.Configuration;
using Config = Akka.Configuration.Config;
using Akka.Streams;
using ActorStream.Kafka.Settings;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Kafka.Tests;

/// <summary>
/// Base for connector tests: an actor system with a materializer and a fresh embedded Kafka
/// cluster (real Kafka protocol over TCP) per test class instance.
/// </summary>
public abstract class KafkaSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config TestConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.stdout-loglevel = INFO
        """);

    protected KafkaSpec(ITestOutputHelper output, int brokers = 1)
        : base(TestConfig, output: output)
    {
        Kafka = EmbeddedKafka.Start(brokers);
        Materializer = Sys.Materializer();
    }

    protected EmbeddedKafka Kafka { get; }

    protected IMaterializer Materializer { get; }

    protected ConsumerSettings<string, string> ConsumerSettings(string groupId) =>
        ConsumerSettings<string, string>.Create(Sys)
            .WithBootstrapServers(Kafka.BootstrapServers)
            .WithGroupId(groupId)
            .WithPollTimeout(TimeSpan.FromMilliseconds(20))
            .WithStopTimeout(TimeSpan.FromSeconds(1))
            .WithProperty("session.timeout.ms", "6000")
            .WithProperty("heartbeat.interval.ms", "500")
            .WithProperty("allow.auto.create.topics", "false");

    protected ProducerSettings<string, string> ProducerSettings() =>
        ProducerSettings<string, string>.Create(Sys).WithBootstrapServers(Kafka.BootstrapServers);

    protected string NewTopic(int partitions)
    {
        var topic = $"t-{Guid.NewGuid():N}"[..14];
        Kafka.CreateTopic(topic, partitions);
        return topic;
    }

    /// <summary>Produces "key-{i % keys}" → "{i}" with the raw client and waits for every delivery.</summary>
    protected void ProduceRaw(string topic, int count, int keys = 100, int start = 0)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        }).Build();
        for (var i = start; i < start + count; i++)
        {
            producer.Produce(topic, new Message<string, string> { Key = $"key-{i % keys}", Value = i.ToString() });
        }

        var left = producer.Flush(TimeSpan.FromSeconds(30));
        Assert.Equal(0, left);
    }

    /// <summary>The group's committed next-offset per partition (absent = nothing committed).</summary>
    protected Dictionary<int, long> Committed(string groupId, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = groupId,
        }).Build();
        var tps = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p));
        return consumer.Committed(tps, TimeSpan.FromSeconds(10))
            .Where(c => c.Offset.Value >= 0)
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    /// <summary>High watermark (end offset) per partition.</summary>
    protected Dictionary<int, long> EndOffsets(string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = "watermarks",
        }).Build();
        return Enumerable.Range(0, partitions)
            .ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        Kafka.Dispose();
    }
}
