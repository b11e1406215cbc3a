using System.Text;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream dlq list|replay</c> and <c>actorstream lag --config</c> against an <c>actorstream kafka</c> process.</summary>
public class DlqAndLagCommandTests
{
    private static readonly Dictionary<string, string?> NoKafkaEnvironment = new() { ["KAFKA_BOOTSTRAP_SERVERS"] = null };

    private static string Sample => Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");

    [Fact]
    public async Task Replay_sends_a_dead_letter_back_to_its_topic_with_key_value_and_original_headers_and_a_replay_mark()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:2", "--topic", "accounts.dlq:2", "--topic", "elsewhere:1");
        var bootstrap = $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}";
        var value = """{"accountId":"a-7","seq":3,"amount":"not a number"}""";
        DeliveryResult<string, string> dead;
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            var headers = new Headers
            {
                { "traceparent", Encoding.UTF8.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") },
                { "actorstream.dlq.original.topic", Encoding.UTF8.GetBytes("accounts") },
                { "actorstream.dlq.original.partition", Encoding.UTF8.GetBytes("1") },
                { "actorstream.dlq.original.offset", Encoding.UTF8.GetBytes("41") },
                { "actorstream.dlq.stage", Encoding.UTF8.GetBytes("deserialize") },
                { "actorstream.dlq.entity.type", Encoding.UTF8.GetBytes("Account") },
                { "actorstream.dlq.entity.id", Encoding.UTF8.GetBytes("a-7") },
                { "actorstream.dlq.exception.type", Encoding.UTF8.GetBytes("System.Text.Json.JsonException") },
                { "actorstream.dlq.exception.message", Encoding.UTF8.GetBytes("The JSON value could not be converted to System.Decimal") },
                { "actorstream.dlq.attempts", Encoding.UTF8.GetBytes("1") },
            };
            dead = await producer.ProduceAsync("accounts.dlq", new Message<string, string> { Key = "a-7", Value = value, Headers = headers });
        }

        var record = $"{dead.Partition.Value}:{dead.Offset.Value}";
        var (listExit, listOut, listErr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "dlq", "list", "--topic", "accounts.dlq", "--set", bootstrap);
        Assert.True(listExit == 0, $"{listExit}\n{listOut}\n{listErr}");
        Assert.Contains($"{record}  from accounts[1]@41  stage=deserialize  entity=Account/a-7  attempts=1", listOut);
        Assert.Contains("System.Text.Json.JsonException: The JSON value could not be converted to System.Decimal", listOut);
        Assert.Contains("1 dead letter(s)", listOut);

        // Another target than the original topic is refused unless asked.
        var (refusedExit, _, refusedErr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment,
            "dlq", "replay", "--topic", "accounts.dlq", "--record", record, "--to", "elsewhere", "--set", bootstrap);
        Assert.Equal(2, refusedExit);
        Assert.Contains("came from accounts; replaying elsewhere needs --allow-other-topic", refusedErr);

        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "dlq", "replay", "--topic", "accounts.dlq", "--record", record, "--set", bootstrap);
        Assert.True(exit == 0, $"{exit}\n{stdout}\n{stderr}");
        Assert.Contains("1 dead letter(s) replayed", stdout);

        var replayed = ReadOne(kafka.BootstrapServers, "accounts");
        Assert.Equal("a-7", replayed.Message.Key);
        Assert.Equal(value, replayed.Message.Value);
        var headerNames = replayed.Message.Headers.Select(h => h.Key).ToList();
        Assert.DoesNotContain(headerNames, h => h.StartsWith("actorstream.dlq.", StringComparison.Ordinal));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Encoding.UTF8.GetString(replayed.Message.Headers.GetLastBytes("traceparent")));
        Assert.Equal($"accounts.dlq/{dead.Partition.Value}@{dead.Offset.Value}", Encoding.UTF8.GetString(replayed.Message.Headers.GetLastBytes("actorstream.replayed.from")));
        Assert.True(DateTimeOffset.TryParse(Encoding.UTF8.GetString(replayed.Message.Headers.GetLastBytes("actorstream.replayed.at")), out _));

        (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "dlq", "replay", "--topic", "accounts.dlq", "--record", "x:1", "--set", bootstrap);
        Assert.Equal(2, exit);
        Assert.Contains("--record 'x:1' is invalid; expected PARTITION:OFFSET", stderr);
        (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "dlq", "replay", "--topic", "accounts.dlq", "--set", bootstrap);
        Assert.Equal(2, exit);
        Assert.Contains("choose what to replay", stderr);
        (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "dlq", "replay", "--topic", "accounts.dlq", "--record", "0:999", "--set", bootstrap);
        Assert.Equal(2, exit);
        Assert.Contains("0:999 not found in accounts.dlq", stderr);
    }

    [Fact]
    public async Task Replay_refuses_a_dead_letter_that_was_cut_to_fit_and_names_where_the_original_is()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:2", "--topic", "accounts.dlq:1");
        var bootstrap = $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}";
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            var headers = new Headers
            {
                { "actorstream.dlq.original.topic", Encoding.UTF8.GetBytes("accounts") },
                { "actorstream.dlq.original.partition", Encoding.UTF8.GetBytes("1") },
                { "actorstream.dlq.original.offset", Encoding.UTF8.GetBytes("7") },
                { "actorstream.dlq.stage", Encoding.UTF8.GetBytes("handler") },
                { "actorstream.dlq.value.truncated", Encoding.UTF8.GetBytes("true") },
                { "actorstream.dlq.value.original.size", Encoding.UTF8.GetBytes("999900") },
            };
            await producer.ProduceAsync("accounts.dlq", new Message<string, string> { Key = "a-1", Value = "{\"accountId\":\"a-1\",\"pad\":\"xxx", Headers = headers });
        }

        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "dlq", "replay", "--topic", "accounts.dlq", "--all", "--set", bootstrap);
        Assert.Equal(2, exit);
        Assert.Contains("accounts.dlq 0:0 was cut to fit the DLQ (value truncated): it cannot be replayed; the original is accounts[1]@7", stderr);
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "w" }).Build();
        Assert.All(Enumerable.Range(0, 2), p => Assert.Equal(0, consumer.QueryWatermarkOffsets(new TopicPartition("accounts", p), TimeSpan.FromSeconds(10)).High.Value));
    }

    [Fact]
    public async Task Lag_from_kafka_prints_every_partition_and_exits_1_above_the_threshold()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:2", "--topic", "accounts.dlq:2", "--topic", "accounts.balances:2");
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                producer.Produce("accounts", new Message<string, string> { Key = $"a-{i}", Value = "{}" });
            }

            producer.Flush(TimeSpan.FromSeconds(10));
        }

        var bootstrap = $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}";
        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "lag", "--config", Sample, "--set", bootstrap);
        Assert.True(exit == 0, $"{exit}\n{stdout}\n{stderr}");
        Assert.Matches(@"accounts\s+accounts\s+0\s+0\s+\d+\s+\d+\s+-", stdout);
        Assert.Matches(@"accounts\s+accounts\s+1\s+0\s+\d+\s+\d+\s+-", stdout);
        Assert.Contains("accounts: total lag 10 (group accounts)", stdout);

        (exit, stdout, _) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "lag", "--config", Sample, "--set", bootstrap,
            "--set", "actorstream.monitoring.alerts.lag-above.threshold=5");
        Assert.Equal(1, exit);
        Assert.Contains("accounts: lag 10 is above actorstream.monitoring.alerts.lag-above.threshold 5", stdout);

        (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "lag", "--node", "http://127.0.0.1:1");
        Assert.Equal(2, exit);
        Assert.Contains("--node http://127.0.0.1:1: no ActorStream node answers there", stderr);
    }

    private static ConsumeResult<string, string> ReadOne(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"r-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } r)
            {
                return r;
            }
        }

        throw new Xunit.Sdk.XunitException($"nothing arrived in {topic}");
    }
}
