using System.Collections.Concurrent;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Xunit.Abstractions;

namespace ActorStream.Kafka.Tests;

public class BrokerOutageTests : KafkaSpec
{
    public BrokerOutageTests(ITestOutputHelper output)
        : base(output, brokers: 3)
    {
    }

    [Fact]
    public async Task Consumption_production_and_commits_resume_after_all_brokers_were_down()
    {
        const int partitions = 3;
        const int total = 3000;
        var topic = NewTopic(partitions);
        var group = $"g-{Guid.NewGuid():N}";
        var seen = new ConcurrentDictionary<(int, long), int>();

        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                seen.AddOrUpdate((m.Record.Partition.Value, m.Record.Offset.Value), 1, (_, n) => n + 1);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(Sys).WithMaxBatch(50).WithMaxInterval(TimeSpan.FromMilliseconds(100))), Keep.Both)
            .Run(Materializer);

        // A throttled producer stream runs through the outage.
        var (switchHandle, produced) = Source.From(Enumerable.Range(0, total))
            .Throttle(1000, TimeSpan.FromSeconds(1), 100, ThrottleMode.Shaping)
            .ViaMaterialized(KillSwitches.Single<int>(), Keep.Right)
            .Select(i => ProducerMessage.Single(new ProducerRecord<string, string>(topic, $"key-{i % 100}", i.ToString()), i))
            .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings()))
            .ToMaterialized(Sink.Seq<ProducerResult<string, string, int>>(), Keep.Both)
            .Run(Materializer);

        await AwaitConditionAsync(() => Task.FromResult(seen.Count > 500), TimeSpan.FromSeconds(30));
        foreach (var broker in Kafka.BrokerIds)
        {
            Kafka.SetBrokerDown(broker);
        }

        var countWhenDown = seen.Count;
        await Task.Delay(TimeSpan.FromSeconds(3)); // the outage itself, not a synchronization
        foreach (var broker in Kafka.BrokerIds)
        {
            Kafka.SetBrokerUp(broker);
        }

        var results = await produced.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(Enumerable.Range(0, total), results.Select(r => r.PassThrough));

        await AwaitConditionAsync(() => Task.FromResult(seen.Count >= total), TimeSpan.FromSeconds(60));
        Assert.True(seen.Count > countWhenDown);
        await control.DrainAndShutdown(done).WaitAsync(TimeSpan.FromSeconds(60));
        switchHandle.Shutdown();

        // Nothing lost or duplicated in the topic; all of it consumed and committed.
        var ends = EndOffsets(topic, partitions);
        Assert.Equal(total, ends.Values.Sum());
        foreach (var (p, end) in ends)
        {
            for (long o = 0; o < end; o++)
            {
                Assert.True(seen.ContainsKey((p, o)), $"{topic}[{p}]@{o} never consumed");
            }
        }

        Assert.Equal(ends, Committed(group, topic, partitions));
    }

    [Fact]
    public async Task Commits_are_retried_when_the_coordinator_answers_with_retriable_errors()
    {
        var topic = NewTopic(1);
        ProduceRaw(topic, 100);
        var group = $"g-{Guid.NewGuid():N}";
        var count = 0;
        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                Interlocked.Increment(ref count);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(Sys).WithMaxBatch(1000).WithMaxInterval(TimeSpan.FromMinutes(1))), Keep.Both)
            .Run(Materializer);
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref count) == 100), TimeSpan.FromSeconds(30));

        Kafka.StartRequestTracking();
        Kafka.PushRequestErrors(TestKit.KafkaApiKey.OffsetCommit,
            Confluent.Kafka.ErrorCode.RequestTimedOut, Confluent.Kafka.ErrorCode.GroupLoadInProgress);
        await control.DrainAndShutdown(done).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(100, Committed(group, topic, 1)[0]);
        Assert.True(Kafka.CountRequests(TestKit.KafkaApiKey.OffsetCommit) >= 3, "two failed attempts and a successful one");
    }

    [Fact]
    public async Task Small_buffers_pause_and_resume_partitions_without_stalling()
    {
        const int partitions = 3;
        const int total = 900;
        var topic = NewTopic(partitions);
        ProduceRaw(topic, total);
        // Every pause drops librdkafka's prefetched records, and a resume waits for the fetch in
        // flight; the mock broker holds an empty fetch for about a second, so this test pauses a
        // few dozen times rather than hundreds.
        var settings = ConsumerSettings($"g-{Guid.NewGuid():N}").WithMaxBufferedPerPartition(16);
        var random = new Random(7);

        var (control, records) = KafkaConsumer.PlainSource(settings, Subscriptions.Topics(topic))
            .SelectAsync(1, async r =>
            {
                if (random.Next(100) == 0)
                {
                    await Task.Delay(random.Next(1, 5));
                }

                return r;
            })
            .Take(total)
            .ToMaterialized(Sink.Seq<Confluent.Kafka.ConsumeResult<string, string>>(), Keep.Both)
            .Run(Materializer);

        var list = await records.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(total, list.Select(r => (r.Partition.Value, r.Offset.Value)).Distinct().Count());
        foreach (var partition in list.GroupBy(r => r.Partition.Value))
        {
            var offsets = partition.Select(r => r.Offset.Value).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
        }

        await control.IsShutdown.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
