using Confluent.Kafka;
using Xunit;

namespace ActorStream.TestKit.Tests;

public sealed class TopicTests
{
    [Fact]
    public void CreateTopic_ZeroPartitions_ThrowsNamingTheTopic()
    {
        using var kafka = EmbeddedKafka.Start();

        var ex = Assert.Throws<EmbeddedKafkaException>(() => kafka.CreateTopic("zero-parts", 0));

        Assert.Contains("'zero-parts'", ex.Message);
        Assert.Contains("0 partitions", ex.Message);
        Assert.Empty(kafka.Topics);
    }

    [Theory]
    [InlineData("neg", -3, 1, "-3 partitions")]
    [InlineData("", 1, 1, "empty")]
    [InlineData("bad/name", 1, 1, "'/'")]
    [InlineData("..", 1, 1, "\"..\"")]
    [InlineData("rf", 1, 2, "replication factor 2")]
    [InlineData("rf0", 1, 0, "replication factor 0")]
    public void CreateTopic_InvalidArguments_ThrowClearErrors(string topic, int partitions, int replicationFactor, string expected)
    {
        using var kafka = EmbeddedKafka.Start();

        var ex = Assert.Throws<EmbeddedKafkaException>(() => kafka.CreateTopic(topic, partitions, replicationFactor));

        Assert.Contains($"'{topic}'", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void CreateTopic_Existing_SamePartitionsIsANoOp_OtherPartitionsThrows()
    {
        using var kafka = EmbeddedKafka.Start(3);
        kafka.CreateTopic("t", 3, replicationFactor: 3);

        kafka.CreateTopic("t", 3);
        var ex = Assert.Throws<EmbeddedKafkaException>(() => kafka.CreateTopic("t", 5));

        Assert.Contains("'t'", ex.Message);
        Assert.Contains("3 partitions", ex.Message);
        Assert.Equal(ErrorCode.TopicAlreadyExists, ex.ErrorCode);
    }

    [Fact]
    public async Task CreateTopic_AfterAProducerAutoCreatedIt_MatchesOnPartitionCount()
    {
        using var kafka = EmbeddedKafka.Start();
        using (var producer = TestClients.Producer(kafka, c => c.AllowAutoCreateTopics = true))
        {
            await producer.ProduceAsync("auto", new Message<string, string> { Key = "k", Value = "v" })
                .WaitAsync(TestClients.DefaultTimeout);
            await producer.ProduceAsync("auto2", new Message<string, string> { Key = "k", Value = "v" })
                .WaitAsync(TestClients.DefaultTimeout);
        }

        kafka.CreateTopic("auto", 4); // the mock's default partition count
        var ex = Assert.Throws<EmbeddedKafkaException>(() => kafka.CreateTopic("auto2", 2));

        Assert.Equal(4, kafka.Topics["auto"]);
        Assert.Contains("'auto2'", ex.Message);
        Assert.Contains("4 partitions", ex.Message);
        Assert.Contains("auto-created", ex.Message);
    }

    [Fact]
    public async Task DeleteRecords_MovesTheLogStart_SoAConsumerAtAnOldOffsetResetsToIt()
    {
        using var kafka = EmbeddedKafka.Start(1, ("truncated", 1));
        using (var producer = TestClients.Producer(kafka))
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync("truncated", new Message<string, string> { Key = "k", Value = $"v{i}" })
                    .WaitAsync(TestClients.DefaultTimeout);
            }
        }

        kafka.DeleteRecords("truncated", 0, 6);

        using var consumer = TestClients.Consumer(kafka, "g-truncated");
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition("truncated", 0), TimeSpan.FromSeconds(10));
        Assert.Equal(6, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);

        consumer.Assign(new TopicPartitionOffset("truncated", 0, 2));
        var records = TestClients.ConsumeExactly(consumer, 4);
        Assert.Equal([6L, 7L, 8L, 9L], records.Select(r => r.Offset.Value));
        Assert.Equal(["v6", "v7", "v8", "v9"], records.Select(r => r.Message.Value));
    }

    [Fact]
    public void DeleteRecords_BeyondTheEndOrUnknownPartition_ThrowsNamingThePartition()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));

        var beyond = Assert.Throws<EmbeddedKafkaException>(() => kafka.DeleteRecords("t", 0, 5));
        Assert.Contains("'t' [0]", beyond.Message);
        Assert.Equal(ErrorCode.OffsetOutOfRange, beyond.ErrorCode);

        var unknown = Assert.Throws<EmbeddedKafkaException>(() => kafka.DeleteRecords("t", 7, 0));
        Assert.Contains("'t' [7]", unknown.Message);
    }

    [Fact]
    public void DeleteTopic_RemovesItFromMetadata()
    {
        using var kafka = EmbeddedKafka.Start(1, ("gone", 2), ("kept", 1));
        using var admin = TestClients.Admin(kafka);

        kafka.DeleteTopic("gone");

        var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic).ToList();
        Assert.DoesNotContain("gone", topics);
        Assert.Contains("kept", topics);
        Assert.False(kafka.Topics.ContainsKey("gone"));
        Assert.Throws<EmbeddedKafkaException>(() => kafka.DeleteTopic("gone"));
    }

    [Fact]
    public void SetTopicError_IsReportedInMetadata_UntilCleared()
    {
        using var kafka = EmbeddedKafka.Start(1, ("flaky", 1));
        using var admin = TestClients.Admin(kafka);

        kafka.SetTopicError("flaky", ErrorCode.TopicAuthorizationFailed);
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, TestClients.TopicMetadata(admin, "flaky").Error.Code);

        kafka.SetTopicError("flaky", ErrorCode.NoError);
        Assert.Equal(ErrorCode.NoError, TestClients.TopicMetadata(admin, "flaky").Error.Code);
    }
}
