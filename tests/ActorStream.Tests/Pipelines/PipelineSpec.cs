using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using ActorStream.Entities;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;
using Config = Akka.Configuration.Config;

namespace ActorStream.Tests.Pipelines;

/// <summary>
/// Base for pipeline tests: an embedded Kafka cluster (real protocol over TCP) and a single-node
/// Akka cluster (the node joins itself) on which pipelines run.
/// </summary>
public abstract class PipelineSpec : Akka.TestKit.Xunit2.TestKit
{
    protected PipelineSpec(ITestOutputHelper output, string extraConfig = "")
        : this(EmbeddedKafka.Start(1), output, extraConfig)
    {
    }

    /// <summary>A cluster of <paramref name="brokers"/> brokers (faults on one broker leave the others serving).</summary>
    protected PipelineSpec(ITestOutputHelper output, int brokers, string extraConfig = "")
        : this(EmbeddedKafka.Start(brokers), output, extraConfig)
    {
    }

    private PipelineSpec(EmbeddedKafka kafka, ITestOutputHelper output, string extraConfig)
        : base(ConfigurationFactory.ParseString(extraConfig).WithFallback(NodeConfig(kafka.BootstrapServers)), output: output)
    {
        Kafka = kafka;
        JoinSelf(Sys);
    }

    protected EmbeddedKafka Kafka { get; }

    /// <summary>Configuration of a single-node ActorStream cluster on loopback.</summary>
    protected static Config NodeConfig(string bootstrapServers) => ConfigurationFactory.ParseString($$"""
        akka.loglevel = INFO
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.min-nr-of-members = 1
        akka.cluster.sharding.state-store-mode = ddata
        actorstream.kafka.bootstrap-servers = "{{bootstrapServers}}"
        actorstream.kafka.consumer.poll-timeout = 20ms
        actorstream.kafka.consumer.stop-timeout = 1s
        actorstream.kafka.consumer.properties {
          "session.timeout.ms" = 6000
          "heartbeat.interval.ms" = 500
        }
        actorstream.kafka.committer.max-interval = 200ms
        """);

    protected static void JoinSelf(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        cluster.Join(cluster.SelfAddress);
    }

    protected static PipelineSettings Settings(string name, string topic, string entity) =>
        new PipelineSettingsBuilder(name)
            .Topic(topic)
            .GroupId($"{name}-{Guid.NewGuid():N}")
            .Entity(entity)
            .DlqTopic($"{topic}.dlq")
            .Retry(3, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), 0.1)
            .Build();

    protected string NewTopic(int partitions, bool withDlq = true)
    {
        var topic = $"t-{Guid.NewGuid():N}"[..14];
        Kafka.CreateTopic(topic, partitions);
        if (withDlq)
        {
            Kafka.CreateTopic($"{topic}.dlq", partitions);
        }

        return topic;
    }

    protected void Produce(string topic, IEnumerable<(string? Key, string Value)> records)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        }).Build();
        foreach (var (key, value) in records)
        {
            producer.Produce(topic, new Message<string?, string> { Key = key!, Value = value });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// Reads everything in a topic from the beginning up to the end offsets it has now (every
    /// partition read to its high watermark, so duplicates and extra records are seen, never cut off
    /// at an expected count). Fails if the end is not reached within <paramref name="wait"/>.
    /// </summary>
    protected List<ConsumeResult<string?, byte[]>> ReadToEnd(string topic, int partitions, TimeSpan? wait = null)
    {
        var ends = EndOffsets(topic, partitions);
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        var open = ends.Where(e => e.Value > 0).Select(e => e.Key).ToHashSet();
        consumer.Assign(open.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var list = new List<ConsumeResult<string?, byte[]>>();
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(30));
        while (open.Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{topic}: partitions {string.Join(", ", open)} not read to their end offsets within {wait ?? TimeSpan.FromSeconds(30)}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { } r)
            {
                continue;
            }

            if (!r.IsPartitionEOF)
            {
                list.Add(r);
            }

            if ((r.IsPartitionEOF ? r.Offset.Value : r.Offset.Value + 1) >= ends[r.Partition.Value])
            {
                open.Remove(r.Partition.Value);
            }
        }

        return list;
    }

    /// <summary>
    /// Waits (bounded) until the topic holds at least <paramref name="expected"/> records, then reads
    /// it to its end offsets: the result may hold more than expected (duplicates show), never fewer
    /// unless the wait ran out.
    /// </summary>
    protected List<ConsumeResult<string?, byte[]>> ReadAll(string topic, int partitions, int expected, TimeSpan? wait = null)
    {
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(30));
        while (EndOffsets(topic, partitions).Values.Sum() < expected && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        return ReadToEnd(topic, partitions);
    }

    protected Dictionary<int, long> Committed(string groupId, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = groupId }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .Where(c => c.Offset.Value >= 0)
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    protected Dictionary<int, long> EndOffsets(string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = "watermarks" }).Build();
        return Enumerable.Range(0, partitions).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    /// <summary>Asserts that the DLQ, read to its end, is empty; else fails naming each dead letter's offset, stage and exception.</summary>
    protected void AssertNoDeadLetters(string dlqTopic, int partitions)
    {
        var letters = ReadToEnd(dlqTopic, partitions);
        Assert.True(letters.Count == 0, $"{letters.Count} dead letter(s) in {dlqTopic}: " + string.Join("; ", letters.Select(l =>
            $"offset {Header(l, "actorstream.dlq.original.offset")} key {l.Message.Key} stage {Header(l, "actorstream.dlq.stage")} attempts {Header(l, "actorstream.dlq.attempts")}: {Header(l, "actorstream.dlq.exception.type")}: {Header(l, "actorstream.dlq.exception.message")}")));
    }

    protected static string Header(ConsumeResult<string?, byte[]> record, string name) =>
        Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));

    protected override void AfterAll()
    {
        base.AfterAll();
        Kafka.Dispose();
    }
}
