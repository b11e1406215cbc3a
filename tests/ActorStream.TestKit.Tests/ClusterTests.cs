using ActorStream.TestKit.Internal.Native;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.TestKit.Tests;

public sealed class ClusterTests
{
    [Fact]
    public void Start_OneBroker_MetadataShowsTheTopicsWithTheirPartitionCounts()
    {
        using var kafka = EmbeddedKafka.Start(1, ("orders", 3), ("payments", 1));
        using var admin = TestClients.Admin(kafka);

        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));

        Assert.Equal(1, kafka.BrokerCount);
        Assert.Equal([1], kafka.BrokerIds);
        Assert.Single(metadata.Brokers);
        Assert.Equal(3, metadata.Topics.Single(t => t.Topic == "orders").Partitions.Count);
        Assert.Single(metadata.Topics.Single(t => t.Topic == "payments").Partitions);
        Assert.Equal(new Dictionary<string, int> { ["orders"] = 3, ["payments"] = 1 }, kafka.Topics);
    }

    [Fact]
    public void Start_ThreeBrokers_BootstrapListsThemAndMetadataShowsAllBrokersAndTopics()
    {
        using var kafka = EmbeddedKafka.Start(3, ("events", 6));
        using var admin = TestClients.Admin(kafka);

        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 2, 3], kafka.BrokerIds);
        var addresses = kafka.BootstrapServers.Split(',');
        Assert.Equal(3, addresses.Length);
        Assert.All(addresses, a => Assert.StartsWith("127.0.0.1:", a));
        Assert.Equal([1, 2, 3], metadata.Brokers.Select(b => b.BrokerId).Order());
        var events = metadata.Topics.Single(t => t.Topic == "events");
        Assert.Equal(6, events.Partitions.Count);
        Assert.All(events.Partitions, p => Assert.Contains(p.Leader, kafka.BrokerIds));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(EmbeddedKafka.MaxBrokers + 1)]
    public void Start_InvalidBrokerCount_ThrowsNamingTheCount(int brokers)
    {
        var ex = Assert.Throws<EmbeddedKafkaException>(() => EmbeddedKafka.Start(brokers));
        Assert.Contains($"{brokers} brokers", ex.Message);
    }

    [Fact]
    public void Start_InvalidTopic_ThrowsNamingTheTopicWithoutStartingACluster()
    {
        var ex = Assert.Throws<EmbeddedKafkaException>(() => EmbeddedKafka.Start(1, ("good", 1), ("bad", 0)));
        Assert.Contains("'bad'", ex.Message);
    }

    [Fact]
    public void Dispose_TwiceIsSafe_AndLaterCallsThrowObjectDisposed()
    {
        var kafka = EmbeddedKafka.Start();
        kafka.Dispose();
        kafka.Dispose();

        Assert.Throws<ObjectDisposedException>(() => kafka.CreateTopic("t", 1));
        Assert.Throws<ObjectDisposedException>(() => kafka.SetBrokerDown(1));
        Assert.Throws<ObjectDisposedException>(() => kafka.StartRequestTracking());
    }

    [Fact]
    public void Dispose_ClosesTheListeners()
    {
        var kafka = EmbeddedKafka.Start();
        var address = kafka.BootstrapServers.Split(',')[0].Split(':');
        kafka.Dispose();

        using var client = new System.Net.Sockets.TcpClient();
        Assert.ThrowsAny<System.Net.Sockets.SocketException>(() => client.Connect(address[0], int.Parse(address[1])));
    }

    [Fact]
    public void NativeLibrary_IsTheSameFileConfluentKafkaUses()
    {
        using var kafka = EmbeddedKafka.Start();
        using (var producer = TestClients.Producer(kafka))
        {
            Assert.True(Library.IsLoaded);
        }

        if (OperatingSystem.IsLinux())
        {
            var mapped = NativeLibraryLoader.MappedLinuxLibraries();
            Assert.Single(mapped);
            Assert.Equal(mapped[0], kafka.NativeLibrarySource);
        }
    }
}
