using Akka;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Kafka.Tests;

public class ProducerTests : KafkaSpec
{
    public ProducerTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task Flow_keeps_per_partition_order_through_retries_and_completes_each_context()
    {
        const int total = 5000;
        var topic = NewTopic(4);

        // Produce requests fail now and then with retriable errors; the idempotent producer
        // retries without reordering or duplicating. One request in flight per connection: the mock
        // broker does not check idempotent sequence numbers, and with several requests in flight
        // librdkafka would then report a failed request's records as persisted (a real broker
        // rejects the later requests instead). Order with the default in-flight is checked below.
        Kafka.PushRequestErrors(KafkaApiKey.Produce,
            ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas, ErrorCode.NotLeaderForPartition);

        var results = await Source.From(Enumerable.Range(0, total))
            .Select(i => ProducerMessage.Single(new ProducerRecord<string, string>(topic, $"key-{i % 37}", i.ToString()), i))
            .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings().WithProperty("max.in.flight.requests.per.connection", "1")))
            .RunWith(Sink.Seq<ProducerResult<string, string, int>>(), Materializer)
            .WaitAsync(TimeSpan.FromSeconds(60));

        // Results come out in input order with their pass-through, each acknowledged by the broker.
        Assert.Equal(Enumerable.Range(0, total), results.Select(r => r.PassThrough));
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, Assert.Single(r.Deliveries).Status));
        Assert.All(results, r => Assert.True(r.Deliveries[0].Offset.Value >= 0, $"record {r.PassThrough} has no offset"));

        // Per partition, offsets grow in input order; the same key always lands on the same partition.
        foreach (var partition in results.GroupBy(r => r.Deliveries[0].Partition.Value))
        {
            var offsets = partition.Select(r => r.Deliveries[0].Offset.Value).ToList();
            Assert.Equal(offsets.Order(), offsets);
        }

        Assert.All(results.GroupBy(r => r.Deliveries[0].Message.Key), g => Assert.Single(g.Select(r => r.Deliveries[0].Partition.Value).Distinct()));

        // What a consumer reads back is exactly the input, in order per partition, with no duplicate.
        var read = ReadAll(topic, 4, total);
        Assert.Equal(total, read.Count);
        foreach (var partition in read.GroupBy(r => r.Partition.Value))
        {
            var values = partition.OrderBy(r => r.Offset.Value).Select(r => int.Parse(r.Message.Value)).ToList();
            Assert.Equal(values.Order(), values);
        }
    }

    [Fact]
    public async Task Flow_with_default_in_flight_keeps_per_partition_order()
    {
        const int total = 20_000;
        var topic = NewTopic(3);
        var results = await Source.From(Enumerable.Range(0, total))
            .Select(i => ProducerMessage.Single(new ProducerRecord<string, string>(topic, $"key-{i % 11}", i.ToString()), i))
            .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings()))
            .RunWith(Sink.Seq<ProducerResult<string, string, int>>(), Materializer)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, total), results.Select(r => r.PassThrough));
        foreach (var key in results.GroupBy(r => r.Deliveries[0].Message.Key))
        {
            var offsets = key.Select(r => r.Deliveries[0].Offset.Value).ToList();
            Assert.Equal(offsets.Order(), offsets);
            Assert.Equal(offsets.Count, offsets.Distinct().Count());
        }

        var read = ReadAll(topic, 3, total);
        Assert.Equal(total, read.Count);
        foreach (var key in read.GroupBy(r => r.Message.Key))
        {
            var values = key.OrderBy(r => r.Offset.Value).Select(r => int.Parse(r.Message.Value)).ToList();
            Assert.Equal(values.Order(), values);
        }
    }

    [Fact]
    public async Task Multi_and_pass_through_envelopes_emit_once_everything_is_acknowledged()
    {
        var topic = NewTopic(2);
        var envelopes = new[]
        {
            ProducerMessage.Multi([new ProducerRecord<string, string>(topic, "a", "1"), new ProducerRecord<string, string>(topic, "b", "2")], "multi"),
            ProducerMessage.PassThrough<string, string, string>("skip"),
            ProducerMessage.Single(new ProducerRecord<string, string>(topic, "c", "3", Partition: 1), "explicit-partition"),
        };

        var results = await Source.From(envelopes)
            .Via(KafkaProducer.FlexiFlow<string, string, string>(ProducerSettings()))
            .RunWith(Sink.Seq<ProducerResult<string, string, string>>(), Materializer)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["multi", "skip", "explicit-partition"], results.Select(r => r.PassThrough));
        Assert.Equal(2, results[0].Deliveries.Count);
        Assert.Equal(["a", "b"], results[0].Deliveries.Select(d => d.Message.Key));
        Assert.Empty(results[1].Deliveries);
        Assert.Equal(1, results[2].Deliveries[0].Partition.Value);
    }

    [Fact]
    public async Task Default_partitioner_matches_the_java_client_murmur2()
    {
        var topic = NewTopic(8);
        var keys = Enumerable.Range(0, 200).Select(i => $"account-{i}").ToList();
        var results = await Source.From(keys)
            .Select(k => ProducerMessage.Single(new ProducerRecord<string, string>(topic, k, "v"), k))
            .Via(KafkaProducer.FlexiFlow<string, string, string>(ProducerSettings()))
            .RunWith(Sink.Seq<ProducerResult<string, string, string>>(), Materializer);

        foreach (var r in results)
        {
            Assert.Equal(JavaMurmur2Partition(r.PassThrough, 8), r.Deliveries[0].Partition.Value);
        }
    }

    [Fact]
    public async Task Produce_then_commit_sink_commits_after_delivery()
    {
        var source = NewTopic(2);
        var target = NewTopic(2);
        ProduceRaw(source, 300);
        var group = $"g-{Guid.NewGuid():N}";
        var count = 0;

        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(source))
            .Select(m =>
            {
                Interlocked.Increment(ref count);
                return ProducerMessage.Single(new ProducerRecord<string, string>(target, m.Record.Message.Key, m.Record.Message.Value.ToUpperInvariant()), (ICommittable)m.CommittableOffset);
            })
            .ToMaterialized(KafkaProducer.CommittableSink(ProducerSettings(), CommitterSettings.Create(Sys).WithMaxBatch(25)), Keep.Both)
            .Run(Materializer);

        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref count) == 300), TimeSpan.FromSeconds(30));
        await control.DrainAndShutdown(done).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(EndOffsets(source, 2), Committed(group, source, 2));
        Assert.Equal(300, ReadAll(target, 2, 300).Count);
    }

    [Fact]
    public async Task A_failed_delivery_fails_the_flow_and_holds_back_its_context()
    {
        var settings = ProducerSettings()
            .WithProperty("message.timeout.ms", "1500")
            .WithProperty("allow.auto.create.topics", "false");
        var topic = NewTopic(1);
        Kafka.SetBrokerDown(1);
        try
        {
            var emitted = new List<int>();
            var run = Source.From(Enumerable.Range(0, 3))
                .Select(i => ProducerMessage.Single(new ProducerRecord<string, string>(topic, "k", i.ToString()), i))
                .Via(KafkaProducer.FlexiFlow<string, string, int>(settings))
                .RunForeach(r => emitted.Add(r.PassThrough), Materializer);

            var ex = await Assert.ThrowsAsync<ProduceException<string, string>>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(ErrorCode.Local_MsgTimedOut, ex.Error.Code);
            Assert.Empty(emitted);
        }
        finally
        {
            Kafka.SetBrokerUp(1);
        }
    }

    [Fact]
    public async Task A_fatal_producer_error_replaces_the_client_and_sends_the_undelivered_records_again()
    {
        const int total = 2000;
        var topic = NewTopic(2);

        // OUT_OF_ORDER_SEQUENCE_NUMBER on the head-of-line request: librdkafka raises a fatal
        // idempotence error, and the old client refuses everything after it. One request in flight:
        // the mock checks no sequence numbers and would append the requests behind the failed one.
        Kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.OutOfOrderSequenceNumber);
        var results = await Source.From(Enumerable.Range(0, total))
            .Select(i => ProducerMessage.Single(new ProducerRecord<string, string>(topic, $"key-{i % 13}", i.ToString()), i))
            .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings().WithProperty("max.in.flight.requests.per.connection", "1")))
            .RunWith(Sink.Seq<ProducerResult<string, string, int>>(), Materializer)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, total), results.Select(r => r.PassThrough));
        Assert.All(results, r => Assert.True(Assert.Single(r.Deliveries).Offset.Value >= 0, $"record {r.PassThrough} has no offset"));

        // Exactly the input, once each, in input order per partition.
        var read = ReadAll(topic, 2, total);
        Assert.Equal(total, read.Count);
        Assert.Equal(Enumerable.Range(0, total), read.Select(r => int.Parse(r.Message.Value)).Order());
        foreach (var partition in read.GroupBy(r => r.Partition.Value))
        {
            var values = partition.OrderBy(r => r.Offset.Value).Select(r => int.Parse(r.Message.Value)).ToList();
            Assert.Equal(values.Order(), values);
        }
    }

    [Fact]
    public async Task Async_serializers_are_awaited_before_producing()
    {
        var topic = NewTopic(1);
        var settings = ProducerSettings<string, int>.Create(Sys)
            .WithBootstrapServers(Kafka.BootstrapServers)
            .WithValueSerializer(new SlowAsyncIntSerializer());
        var results = await Source.From(Enumerable.Range(0, 200))
            .Select(i => ProducerMessage.Single(new ProducerRecord<string, int>(topic, "k", i), i))
            .Via(KafkaProducer.FlexiFlow<string, int, int>(settings))
            .RunWith(Sink.Seq<ProducerResult<string, int, int>>(), Materializer)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 200), results.Select(r => r.PassThrough));
        var read = ReadAll(topic, 1, 200);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"#{i}"), read.OrderBy(r => r.Offset.Value).Select(r => r.Message.Value));
    }

    private sealed class SlowAsyncIntSerializer : IAsyncSerializer<int>
    {
        public async Task<byte[]> SerializeAsync(int data, SerializationContext context)
        {
            await Task.Yield();
            return System.Text.Encoding.UTF8.GetBytes($"#{data}");
        }
    }

    private List<ConsumeResult<string, string>> ReadAll(string topic, int partitions, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var list = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (list.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r)
            {
                list.Add(r);
            }
        }

        // Anything beyond the expected count would be a duplicate: give it a moment to show up.
        while (consumer.Consume(TimeSpan.FromMilliseconds(300)) is { } extra)
        {
            list.Add(extra);
        }

        return list;
    }

    /// <summary>Kafka's Java DefaultPartitioner for keyed records: toPositive(murmur2(keyBytes)) % partitions.</summary>
    private static int JavaMurmur2Partition(string key, int partitions)
    {
        var data = System.Text.Encoding.UTF8.GetBytes(key);
        const uint seed = 0x9747b28c;
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = seed ^ (uint)length;
        var length4 = length / 4;
        for (var i = 0; i < length4; i++)
        {
            var i4 = i * 4;
            var k = (uint)(data[i4] & 0xff) + ((uint)(data[i4 + 1] & 0xff) << 8) + ((uint)(data[i4 + 2] & 0xff) << 16) + ((uint)(data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        switch (length % 4)
        {
            case 3:
                h ^= (uint)(data[(length & ~3) + 2] & 0xff) << 16;
                goto case 2;
            case 2:
                h ^= (uint)(data[(length & ~3) + 1] & 0xff) << 8;
                goto case 1;
            case 1:
                h ^= (uint)(data[length & ~3] & 0xff);
                h *= m;
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)((int)h & 0x7fffffff) % partitions;
    }
}
