using System.Diagnostics;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.TestKit.Tests;

public sealed class FaultInjectionTests
{
    private static Message<string, string> Msg(string key, string value) => new() { Key = key, Value = value };

    [Fact]
    public async Task BrokerDown_ShortTimeoutFails_LongTimeoutStalls_BrokerUpDeliversWithoutLoss()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));
        using var patient = TestClients.Producer(kafka, c => c.MessageTimeoutMs = 60_000);
        using var impatient = TestClients.Producer(kafka, c => c.MessageTimeoutMs = 1_000);
        await patient.ProduceAsync("t", Msg("k", "before")).WaitAsync(TestClients.DefaultTimeout);
        await impatient.ProduceAsync("t", Msg("k", "impatient-before")).WaitAsync(TestClients.DefaultTimeout);

        kafka.SetBrokerDown(1);
        var stalled = patient.ProduceAsync("t", Msg("k", "during"));
        var failed = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => impatient.ProduceAsync("t", Msg("k", "impatient-during")).WaitAsync(TestClients.DefaultTimeout));

        Assert.Equal(ErrorCode.Local_MsgTimedOut, failed.Error.Code);
        Assert.False(stalled.IsCompleted, "a produce must not complete while the only broker is down");

        kafka.SetBrokerUp(1);
        var delivered = await stalled.WaitAsync(TestClients.DefaultTimeout);
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);

        using var consumer = TestClients.Consumer(kafka, "broker-down");
        consumer.Assign(new TopicPartitionOffset("t", 0, Offset.Beginning));
        var values = TestClients.ConsumeExactly(consumer, 3).Select(r => r.Message.Value).ToList();
        Assert.Equal(["before", "impatient-before", "during"], values);
    }

    [Fact]
    public async Task PushRequestErrors_OnProduce_IdempotentProducerRetries_AndDeliversEachRecordOnceInOrder()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));
        // One record per request and one request in flight. With several in flight the mock (which skips
        // sequence checks for non-transactional producers) appends the requests behind a failed one, and
        // librdkafka then infers the failed records were persisted although they never were; a real broker
        // would reject the later requests with OUT_OF_ORDER_SEQUENCE_NUMBER instead.
        using var producer = TestClients.Producer(kafka, c =>
        {
            c.BatchNumMessages = 1;
            c.MaxInFlight = 1;
        });
        await producer.ProduceAsync("t", Msg("k", "warm-up")).WaitAsync(TestClients.DefaultTimeout);
        kafka.StartRequestTracking();

        kafka.PushRequestErrors(
            KafkaApiKey.Produce,
            ErrorCode.NotLeaderForPartition,
            ErrorCode.LeaderNotAvailable,
            ErrorCode.NotEnoughReplicas);
        var deliveries = Enumerable.Range(0, 10).Select(i => producer.ProduceAsync("t", Msg("k", $"v{i}"))).ToList();
        var results = await Task.WhenAll(deliveries).WaitAsync(TestClients.DefaultTimeout);

        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));

        Assert.Equal(Enumerable.Range(1, 10).Select(o => (long)o), results.Select(r => r.Offset.Value));
        Assert.True(kafka.CountRequests(KafkaApiKey.Produce) >= 10 + 3, "the three failed produce requests are retried");
        using var consumer = TestClients.Consumer(kafka, "retries");
        consumer.Assign(new TopicPartitionOffset("t", 0, Offset.Beginning));
        var values = TestClients.ConsumeExactly(consumer, 11).Select(r => r.Message.Value).ToList();
        Assert.Equal(["warm-up", .. Enumerable.Range(0, 10).Select(i => $"v{i}")], values);
    }

    [Fact]
    public async Task PushPartitionRequestErrors_FailOnlyThatPartition_AndTheProducerRetries()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 2));
        using var producer = TestClients.Producer(kafka);
        kafka.StartRequestTracking();

        kafka.PushPartitionRequestErrors("t", 0, KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        var p0 = await producer.ProduceAsync(new TopicPartition("t", 0), Msg("k", "p0")).WaitAsync(TestClients.DefaultTimeout);
        var p1 = await producer.ProduceAsync(new TopicPartition("t", 1), Msg("k", "p1")).WaitAsync(TestClients.DefaultTimeout);

        Assert.Equal(0, p0.Offset.Value);
        Assert.Equal(0, p1.Offset.Value);
        Assert.True(kafka.CountRequests(KafkaApiKey.Produce) >= 4, "partition 0 needs three attempts, partition 1 one");
    }

    [Fact]
    public async Task SetPartitionLeader_TheMoveIsVisibleInMetadata_AndProducersFollowIt()
    {
        using var kafka = EmbeddedKafka.Start(3);
        kafka.CreateTopic("moving", 3, replicationFactor: 3);
        using var admin = TestClients.Admin(kafka);
        using var producer = TestClients.Producer(kafka);
        await producer.ProduceAsync(new TopicPartition("moving", 0), Msg("k", "before")).WaitAsync(TestClients.DefaultTimeout);
        var oldLeader = TestClients.TopicMetadata(admin, "moving").Partitions.Single(p => p.PartitionId == 0).Leader;
        var newLeader = kafka.BrokerIds.First(id => id != oldLeader);

        kafka.SetPartitionLeader("moving", 0, newLeader);
        kafka.StartRequestTracking();

        Assert.Equal(newLeader, TestClients.TopicMetadata(admin, "moving").Partitions.Single(p => p.PartitionId == 0).Leader);
        var after = await producer.ProduceAsync(new TopicPartition("moving", 0), Msg("k", "after")).WaitAsync(TestClients.DefaultTimeout);
        Assert.Equal(1, after.Offset.Value);
        var produceRequests = kafka.GetRequests().Where(r => r.ApiKey == KafkaApiKey.Produce).ToList();
        Assert.Equal(newLeader, produceRequests.Last().BrokerId);
    }

    [Fact]
    public void SetPartitionLeader_UnknownBrokerOrPartition_ThrowsNamingIt()
    {
        using var kafka = EmbeddedKafka.Start(2, ("t", 2));

        var broker = Assert.Throws<EmbeddedKafkaException>(() => kafka.SetPartitionLeader("t", 0, 5));
        Assert.Contains("Broker 5", broker.Message);

        var partition = Assert.Throws<EmbeddedKafkaException>(() => kafka.SetPartitionLeader("t", 9, 1));
        Assert.Contains("'t' [9]", partition.Message);
    }

    [Fact]
    public async Task SetBrokerRtt_ResponsesAreNotFasterThanTheRtt()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));
        using var producer = TestClients.Producer(kafka, c => c.LingerMs = 0);
        await producer.ProduceAsync("t", Msg("k", "warm-up")).WaitAsync(TestClients.DefaultTimeout);
        var rtt = TimeSpan.FromMilliseconds(300);

        kafka.SetBrokerRtt(1, rtt);
        var watch = Stopwatch.StartNew();
        await producer.ProduceAsync("t", Msg("k", "slow")).WaitAsync(TestClients.DefaultTimeout);
        var elapsed = watch.Elapsed;

        // 5 ms slack: the mock's timer and the Stopwatch round independently to milliseconds.
        Assert.True(elapsed >= rtt - TimeSpan.FromMilliseconds(5), $"produce took {elapsed.TotalMilliseconds} ms with a {rtt.TotalMilliseconds} ms rtt");
        kafka.SetBrokerRtt(1, TimeSpan.Zero);
    }

    [Fact]
    public async Task PushBrokerRequestErrors_DelaysTheNextRequestOfThatBroker()
    {
        using var kafka = EmbeddedKafka.Start(1, ("t", 1));
        using var producer = TestClients.Producer(kafka, c => c.LingerMs = 0);
        await producer.ProduceAsync("t", Msg("k", "warm-up")).WaitAsync(TestClients.DefaultTimeout);
        var delay = TimeSpan.FromMilliseconds(250);

        kafka.PushBrokerRequestErrors(1, KafkaApiKey.Produce, (ErrorCode.NoError, delay));
        var watch = Stopwatch.StartNew();
        var result = await producer.ProduceAsync("t", Msg("k", "delayed")).WaitAsync(TestClients.DefaultTimeout);

        Assert.True(watch.Elapsed >= delay - TimeSpan.FromMilliseconds(5), $"produce took {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(1, result.Offset.Value);
    }

    [Fact]
    public void SetBrokerDown_UnknownBroker_ThrowsNamingTheBroker()
    {
        using var kafka = EmbeddedKafka.Start(3);

        var down = Assert.Throws<EmbeddedKafkaException>(() => kafka.SetBrokerDown(99));
        var up = Assert.Throws<EmbeddedKafkaException>(() => kafka.SetBrokerUp(0));
        var rtt = Assert.Throws<EmbeddedKafkaException>(() => kafka.SetBrokerRtt(4, TimeSpan.FromMilliseconds(1)));

        Assert.Contains("Broker 99", down.Message);
        Assert.Contains("1..3", down.Message);
        Assert.Contains("Broker 0", up.Message);
        Assert.Contains("Broker 4", rtt.Message);
    }

    [Fact]
    public void SetBrokerRtt_NegativeDelay_Throws()
    {
        using var kafka = EmbeddedKafka.Start();

        var ex = Assert.Throws<EmbeddedKafkaException>(() => kafka.SetBrokerRtt(1, TimeSpan.FromMilliseconds(-1)));
        Assert.Contains("broker 1", ex.Message);
    }

    [Fact]
    public void SetCoordinator_InvalidKeyTypeOrBroker_Throws()
    {
        using var kafka = EmbeddedKafka.Start(2);

        Assert.Contains("'shard'", Assert.Throws<EmbeddedKafkaException>(() => kafka.SetCoordinator("shard", "g", 1)).Message);
        Assert.Contains("Broker 3", Assert.Throws<EmbeddedKafkaException>(() => kafka.SetCoordinator("group", "g", 3)).Message);
    }

    [Fact]
    public async Task SetCoordinator_GroupRequestsGoToThatBroker()
    {
        using var kafka = EmbeddedKafka.Start(3, ("t", 1));
        using (var producer = TestClients.Producer(kafka))
        {
            await producer.ProduceAsync("t", Msg("k", "v")).WaitAsync(TestClients.DefaultTimeout);
        }

        kafka.SetCoordinator("group", "pinned", 2);
        kafka.StartRequestTracking();
        using var consumer = TestClients.Consumer(kafka, "pinned");
        consumer.Subscribe("t");
        TestClients.ConsumeExactly(consumer, 1);
        consumer.Close();

        var groupRequests = kafka.GetRequests()
            .Where(r => r.ApiKey is KafkaApiKey.JoinGroup or KafkaApiKey.SyncGroup or KafkaApiKey.OffsetFetch)
            .ToList();
        Assert.NotEmpty(groupRequests);
        Assert.All(groupRequests, r => Assert.Equal(2, r.BrokerId));
    }
}
