using System.Text;
using ActorStream.Partitioning;
using ActorStream.TestKit;
using Confluent.Kafka;

namespace ActorStream.Tests.Partitioning;

/// <summary>
/// Cross-checks <see cref="KafkaPartitioner"/> against librdkafka: records produced through Confluent.Kafka with the
/// murmur2 partitioners must land (as the broker reports) exactly where our function says.
/// </summary>
public sealed class KafkaPartitionerBrokerTests : IClassFixture<KafkaPartitionerBrokerTests.Cluster>
{
    private static readonly int[] PartitionCounts = [1, 3, 8, 100];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Cluster _cluster;

    public KafkaPartitionerBrokerTests(Cluster cluster)
    {
        _cluster = cluster;
    }

    public static TheoryData<Partitioner, int> Cases()
    {
        var data = new TheoryData<Partitioner, int>();
        foreach (var partitioner in new[] { Partitioner.Murmur2, Partitioner.Murmur2Random })
        {
            foreach (var count in PartitionCounts)
            {
                data.Add(partitioner, count);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task String_keys_land_on_the_partition_librdkafka_chooses(Partitioner partitioner, int partitionCount)
    {
        using var producer = new ProducerBuilder<string, string>(Config(partitioner)).Build();
        var keys = StringKeys(seed: partitionCount);

        var results = await Task.WhenAll(keys.Select(key =>
            producer.ProduceAsync(Topic(partitionCount), new Message<string, string> { Key = key, Value = "v" })))
            .WaitAsync(Timeout);

        var mismatches = results
            .Where(r => KafkaPartitioner.PartitionFor(r.Message.Key, partitionCount) != r.Partition.Value)
            .Select(r => $"'{Shorten(r.Message.Key)}': ours {KafkaPartitioner.PartitionFor(r.Message.Key, partitionCount)}, broker {r.Partition.Value}")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {keys.Count} keys differ:\n" + string.Join("\n", mismatches.Take(20)));
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        if (partitionCount > 1)
        {
            // The keys spread over the partitions (a constant function would pass the check above with 1 partition).
            Assert.True(results.Select(r => r.Partition.Value).Distinct().Count() > 1);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Byte_keys_land_on_the_partition_librdkafka_chooses(Partitioner partitioner, int partitionCount)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(Config(partitioner)).Build();
        var random = new Random(1000 + partitionCount);

        // Arbitrary bytes (not necessarily UTF-8), every length 0..64 and a few long ones.
        var keys = Enumerable.Range(0, 65).Concat([255, 256, 257, 1_000, 10_000])
            .Select(length =>
            {
                var key = new byte[length];
                random.NextBytes(key);
                return key;
            })
            .ToList();

        var results = await Task.WhenAll(keys.Select(key =>
            producer.ProduceAsync(Topic(partitionCount), new Message<byte[], byte[]> { Key = key, Value = [1] })))
            .WaitAsync(Timeout);

        Assert.All(results, r => Assert.Equal(KafkaPartitioner.PartitionFor(r.Message.Key, partitionCount), r.Partition.Value));
    }

    private static string Topic(int partitionCount) => $"partitioner-{partitionCount}";

    private static string Shorten(string key) => key.Length <= 40 ? key : key[..40] + $"...({key.Length} chars)";

    /// <summary>About 500 keys: the empty string, ASCII, non-ASCII (2-, 3- and 4-byte UTF-8), long keys.</summary>
    private static List<string> StringKeys(int seed)
    {
        var random = new Random(seed);
        var keys = new List<string>
        {
            string.Empty, "21", "foobar", "abc", "a-1", "account-42", "ключ", "キー", "🔑", "é", "\u0000", " ",
            new('x', 300), new('ü', 5_000),
        };

        const string ascii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/ ";
        string[] unicode = ["ä", "ß", "é", "ж", "λ", "中", "文", "キ", "ー", "한", "😀", "🚀", "𝄞", "\u00a0"];
        for (var i = 0; i < 300; i++)
        {
            var length = random.Next(1, i < 250 ? 24 : 400);
            keys.Add(string.Concat(Enumerable.Range(0, length).Select(_ => ascii[random.Next(ascii.Length)])));
        }

        for (var i = 0; i < 150; i++)
        {
            var length = random.Next(1, 40);
            keys.Add(string.Concat(Enumerable.Range(0, length).Select(_ =>
                random.Next(3) == 0 ? ascii[random.Next(ascii.Length)].ToString() : unicode[random.Next(unicode.Length)])));
        }

        for (var i = 0; i < 40; i++)
        {
            keys.Add($"user-{random.Next()}");
        }

        return keys;
    }

    private ProducerConfig Config(Partitioner partitioner) => new()
    {
        BootstrapServers = _cluster.Kafka.BootstrapServers,
        Partitioner = partitioner,
        AllowAutoCreateTopics = false,
        LingerMs = 5,
        Acks = Acks.All,
    };

    /// <summary>One embedded cluster with a topic per partition count, shared by the tests of this class.</summary>
    public sealed class Cluster : IDisposable
    {
        public Cluster()
        {
            Kafka = EmbeddedKafka.Start(1);
            foreach (var count in PartitionCounts)
            {
                Kafka.CreateTopic(Topic(count), count);
            }
        }

        public EmbeddedKafka Kafka { get; }

        public void Dispose() => Kafka.Dispose();
    }
}
