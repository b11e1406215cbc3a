using System.Text.RegularExpressions;
using ActorStream.Host.Tests.Cluster;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>
/// Two `actorstream run` processes form a cluster through seed nodes from the environment, share the
/// pipeline's partitions (one consumer group across the cluster) and process every record once.
/// </summary>
public sealed class TwoNodeClusterTests
{
    [Fact]
    public async Task Two_nodes_form_a_cluster_split_the_partitions_and_process_every_record_once()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:8", "--topic", "accounts.balances:8", "--topic", "accounts.dlq:8");
        var sample = Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");
        var state = Path.Combine(Path.GetTempPath(), $"actorstream-two-nodes-{Guid.NewGuid():N}");
        Directory.CreateDirectory(state);
        var (portA, portB) = (Actorstream.FreePort(), Actorstream.FreePort());
        var seed = $"akka.tcp://actorstream@127.0.0.1:{portA}";
        var environment = new Dictionary<string, string?>
        {
            ["KAFKA_BOOTSTRAP_SERVERS"] = kafka.BootstrapServers,
            ["ACTORSTREAM_SEED_NODES"] = seed,
        };
        // The mock broker completes a join only once every member rejoined or timed out: short
        // sessions keep the test fast (production keeps librdkafka's 45 s).
        string[] arguments = ["run", "--config", sample, "--set", $"actorstream.persistence.sqlite.path={Path.Combine(state, "state.db")}", "--set", "actorstream.monitoring.lag-interval=500ms",
            "--set", "actorstream.kafka.consumer.properties.\"session.timeout.ms\"=6000", "--set", "actorstream.kafka.consumer.properties.\"heartbeat.interval.ms\"=500"];

        var a = await ClusterNode.StartAsync("A", portA, environment, arguments);
        ClusterNode? b = null;
        try
        {
            b = await ClusterNode.StartAsync("B", portB, environment, arguments);
            string Logs() => $"{a.Tail(40)}\n{b.Tail(40)}";

            // Both nodes are Up members and the 8 partitions are split between them.
            await Actorstream.EventuallyAsync(async () =>
            {
                var (assignedA, assignedB) = ((await a.AssignedPartitionsAsync()).Count, (await b.AssignedPartitionsAsync()).Count);
                return assignedA > 0 && assignedB > 0 && assignedA + assignedB == 8;
            }, TimeSpan.FromSeconds(150), "8 partitions split over both nodes", Logs);
            var (exit, status, errors) = await Actorstream.RunAsync("cluster", "status", "--node", a.Http.BaseAddress!.ToString().TrimEnd('/'));
            Assert.True(exit == 0, errors);
            Assert.Equal(2, Regex.Matches(status, @"^akka\.tcp://actorstream@127\.0\.0\.1:\d+\s+Up\b", RegexOptions.Multiline).Count);
            Assert.Contains($"127.0.0.1:{portB}", status);
            Assert.Contains("diagnostics: none", status); // 8 partitions for 2 nodes: nothing idle

            // 200 transactions over 20 accounts: each is applied once, whichever node consumes it.
            using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
            {
                for (var seq = 1; seq <= 10; seq++)
                {
                    for (var account = 0; account < 20; account++)
                    {
                        producer.Produce("accounts", new Message<string, string> { Key = $"a-{account}", Value = $$"""{"accountId":"a-{{account}}","seq":{{seq}},"amount":1}""" });
                    }
                }

                producer.Flush(TimeSpan.FromSeconds(10));
            }

            var balances = ReadBalances(kafka.BootstrapServers, 200);
            Assert.Equal(200, balances.Count);
            foreach (var account in balances.GroupBy(x => x.Key))
            {
                // Per account: seq 1..10 in order, balance = seq (amount 1 each), nothing applied twice.
                Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), account.Select(x => x.Seq));
                Assert.All(account, x => Assert.Equal(x.Seq, x.Balance));
            }
        }
        finally
        {
            b?.Dispose();
            a.Dispose();

            Directory.Delete(state, recursive: true);
        }
    }


    private static List<(string Key, long Seq, decimal Balance)> ReadBalances(string bootstrap, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"check-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Subscribe("accounts.balances");
        var result = new List<(string, long, decimal)>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (result.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } r)
            {
                using var json = System.Text.Json.JsonDocument.Parse(r.Message.Value);
                result.Add((r.Message.Key, json.RootElement.GetProperty("seq").GetInt64(), json.RootElement.GetProperty("balance").GetDecimal()));
            }
        }

        // Anything beyond the expected count would be a double effect: read a little longer.
        var extra = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < extra)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } r)
            {
                using var json = System.Text.Json.JsonDocument.Parse(r.Message.Value);
                result.Add((r.Message.Key, json.RootElement.GetProperty("seq").GetInt64(), json.RootElement.GetProperty("balance").GetDecimal()));
            }
        }

        return result;
    }



}
