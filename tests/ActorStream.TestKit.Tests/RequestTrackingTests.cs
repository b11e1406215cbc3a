using Confluent.Kafka;
using Xunit;

namespace ActorStream.TestKit.Tests;

public sealed class RequestTrackingTests
{
    [Fact]
    public async Task CountRequests_CountsTheExplicitOffsetCommitsOfAConsumer()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));
        using (var producer = TestClients.Producer(kafka))
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = $"v{i}" })
                    .WaitAsync(TestClients.DefaultTimeout);
            }
        }

        var started = DateTimeOffset.UtcNow;
        kafka.StartRequestTracking();
        using var consumer = TestClients.Consumer(kafka, "committer");
        consumer.Subscribe("t");
        foreach (var record in TestClients.ConsumeExactly(consumer, 3))
        {
            consumer.Commit(record);
        }

        Assert.Equal(3, kafka.CountRequests(KafkaApiKey.OffsetCommit));
        var commits = kafka.GetRequests().Where(r => r.ApiKey == KafkaApiKey.OffsetCommit).ToList();
        Assert.All(commits, r => Assert.Equal(1, r.BrokerId));
        Assert.All(commits, r => Assert.InRange(r.At, started.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal(commits.OrderBy(r => r.At), commits);
        var committed = consumer.Committed([new TopicPartition("t", 0)], TimeSpan.FromSeconds(10));
        Assert.Equal(3, committed.Single().Offset.Value);
        consumer.Close();
    }

    [Fact]
    public void GetRequests_BeforeTrackingStarted_Throws()
    {
        using var kafka = EmbeddedKafka.Start();

        Assert.Throws<InvalidOperationException>(() => kafka.GetRequests());
        Assert.Throws<InvalidOperationException>(() => kafka.CountRequests(KafkaApiKey.Metadata));
    }

    [Fact]
    public void StopRequestTracking_KeepsTheRecordedRequests_ClearForgetsThem()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));
        kafka.StartRequestTracking();
        using (var admin = TestClients.Admin(kafka))
        {
            admin.GetMetadata(TimeSpan.FromSeconds(10));
        }

        kafka.StopRequestTracking();
        var afterStop = kafka.CountRequests(KafkaApiKey.Metadata);
        using (var admin = TestClients.Admin(kafka))
        {
            admin.GetMetadata(TimeSpan.FromSeconds(10));
        }

        Assert.True(afterStop >= 1);
        Assert.Equal(afterStop, kafka.CountRequests(KafkaApiKey.Metadata));

        kafka.ClearRequests();
        Assert.Empty(kafka.GetRequests());
    }
}
