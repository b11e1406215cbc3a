using System.Collections.Concurrent;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Kafka.Tests;

public class AtLeastOnceTests : KafkaSpec
{
    public AtLeastOnceTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task Killed_stream_restarts_from_committed_offsets_and_skips_nothing()
    {
        const int partitions = 4;
        const int total = 4000;
        var topic = NewTopic(partitions);
        ProduceRaw(topic, total);
        var group = $"g-{Guid.NewGuid():N}";
        var committer = CommitterSettings.Create(Sys).WithMaxBatch(50).WithMaxInterval(TimeSpan.FromMilliseconds(100));

        // Run 1: process with commits, then crash in the middle of processing (the stream fails:
        // no drain, offsets of records in flight are not committed).
        var firstRun = new ConcurrentBag<(int Partition, long Offset)>();
        var processed = 0;
        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                if (Interlocked.Increment(ref processed) > total / 3)
                {
                    throw new InvalidOperationException("simulated crash");
                }

                firstRun.Add((m.Record.Partition.Value, m.Record.Offset.Value));
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(committer), Keep.Both)
            .Run(Materializer);

        await Assert.ThrowsAsync<InvalidOperationException>(() => done.WaitAsync(TimeSpan.FromSeconds(30)));
        await control.Shutdown().WaitAsync(TimeSpan.FromSeconds(30));

        var committedAfterCrash = Committed(group, topic, partitions);
        Assert.True(committedAfterCrash.Values.Sum() > 0, "something was committed before the crash");
        Assert.True(committedAfterCrash.Values.Sum() <= total / 3, "nothing past the crash was committed");

        // Run 2: a fresh stream in the same group picks up from the committed offsets.
        var secondRun = new ConcurrentQueue<(int Partition, long Offset)>();
        var (control2, done2) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                secondRun.Enqueue((m.Record.Partition.Value, m.Record.Offset.Value));
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(committer), Keep.Both)
            .Run(Materializer);

        // A partition fully committed before the crash has nothing to redeliver.
        var ends = EndOffsets(topic, partitions);
        try
        {
            await AwaitConditionAsync(() => Task.FromResult(
                ends.All(e => committedAfterCrash.GetValueOrDefault(e.Key) >= e.Value
                              || secondRun.Any(r => r.Partition == e.Key && r.Offset == e.Value - 1))), TimeSpan.FromSeconds(60));
        }
        catch
        {
            foreach (var (p, end) in ends)
            {
                var offsets = secondRun.Where(r => r.Partition == p).Select(r => r.Offset).ToList();
                Output.WriteLine($"partition {p}: end {end}, committed at crash {committedAfterCrash.GetValueOrDefault(p)}, second run saw {offsets.Count} up to {(offsets.Count > 0 ? offsets.Max() : -1)}");
            }

            throw;
        }
        await control2.DrainAndShutdown(done2).WaitAsync(TimeSpan.FromSeconds(30));

        // Every record seen at least once across both runs, and run 2 started exactly at the commit.
        var seen = firstRun.Concat(secondRun).ToHashSet();
        for (var p = 0; p < partitions; p++)
        {
            for (long o = 0; o < ends[p]; o++)
            {
                Assert.Contains((p, o), seen);
            }

            var second = secondRun.Where(r => r.Partition == p).Select(r => r.Offset).ToList();
            var start = committedAfterCrash.GetValueOrDefault(p, 0);
            Assert.Equal(Enumerable.Range((int)start, (int)(ends[p] - start)).Select(i => (long)i), second);
        }

        // And everything processed in run 2 was committed on drain.
        Assert.Equal(ends, Committed(group, topic, partitions));
    }

    [Fact]
    public async Task Drain_and_shutdown_commits_everything_processed()
    {
        var topic = NewTopic(3);
        ProduceRaw(topic, 900);
        var group = $"g-{Guid.NewGuid():N}";
        var count = 0;
        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                Interlocked.Increment(ref count);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(Sys).WithMaxInterval(TimeSpan.FromMinutes(1))), Keep.Both)
            .Run(Materializer);

        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref count) == 900), TimeSpan.FromSeconds(30));

        // The interval is a minute and max-batch 1000 was not reached: only the drain commits.
        await control.DrainAndShutdown(done).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(EndOffsets(topic, 3), Committed(group, topic, 3));
        Assert.True(control.IsShutdown.IsCompleted);
    }

    [Fact]
    public async Task Plain_source_with_manual_assignment_reads_from_given_offsets_and_never_commits()
    {
        var topic = NewTopic(2);
        ProduceRaw(topic, 200, keys: 1); // one key: all records land in one partition
        var ends = EndOffsets(topic, 2);
        var partition = ends.Single(e => e.Value > 0).Key;

        var settings = ConsumerSettings("unused-group");
        var (control, records) = KafkaConsumer.PlainSource(settings, Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(topic, partition, 150)))
            .Take(50)
            .ToMaterialized(Sink.Seq<ConsumeResult<string, string>>(), Keep.Both)
            .Run(Materializer);

        var list = await records.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(150, 50).Select(i => (long)i), list.Select(r => r.Offset.Value));
        Assert.Equal(Enumerable.Range(150, 50).Select(i => i.ToString()), list.Select(r => r.Message.Value));
        await control.IsShutdown.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(Committed("unused-group", topic, 2));
    }

    [Fact]
    public async Task Async_deserializers_are_awaited_in_offset_order()
    {
        var topic = NewTopic(1);
        ProduceRaw(topic, 300);
        var converted = ConsumerSettings<string, int>.Create(Sys, valueDeserializer: null)
            .WithBootstrapServers(Kafka.BootstrapServers)
            .WithGroupId($"g-{Guid.NewGuid():N}")
            .WithValueDeserializer(new SlowAsyncIntDeserializer());
        var (control, records) = KafkaConsumer.CommittableSource(converted, Subscriptions.Topics(topic))
            .Take(300)
            .ToMaterialized(Sink.Seq<CommittableMessage<string, int>>(), Keep.Both)
            .Run(Materializer);

        var list = await records.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 300), list.Select(m => m.Record.Message.Value));
        await control.Shutdown();
    }

    [Fact]
    public async Task A_record_that_cannot_be_deserialized_fails_the_stream_with_its_position()
    {
        var topic = NewTopic(1);
        ProduceRaw(topic, 5);
        var settings = ConsumerSettings<string, int>.Create(Sys)
            .WithBootstrapServers(Kafka.BootstrapServers)
            .WithGroupId($"g-{Guid.NewGuid():N}")
            .WithValueDeserializer(Deserializers.Int32); // the values are UTF-8 text, not 4-byte ints
        var (control, done) = KafkaConsumer.PlainSource(settings, Subscriptions.Topics(topic))
            .ToMaterialized(Sink.Ignore<ConsumeResult<string, int>>(), Keep.Both)
            .Run(Materializer);

        var ex = await Assert.ThrowsAsync<KafkaDeserializationException>(() => done.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(topic, ex.Record.Topic);
        Assert.Equal(0, ex.Record.Offset.Value);
        Assert.Contains($"{topic}[0]@0", ex.Message);
        await control.IsShutdown.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Missing_bootstrap_servers_fail_the_source_with_a_keyed_error()
    {
        var settings = ConsumerSettings<string, string>.Create(Sys).WithGroupId("g");
        var (control, done) = KafkaConsumer.CommittableSource(settings, Subscriptions.Topics("x"))
            .ToMaterialized(Sink.Ignore<CommittableMessage<string, string>>(), Keep.Both)
            .Run(Materializer);
        var ex = await Assert.ThrowsAsync<KafkaConfigurationException>(() => done.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("actorstream.kafka.bootstrap-servers", ex.Key);
        await control.IsShutdown.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class SlowAsyncIntDeserializer : IAsyncDeserializer<int>
    {
        private int _calls;

        public async Task<int> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context)
        {
            // Later records finish first now and then: the source must still emit in offset order.
            if (Interlocked.Increment(ref _calls) % 7 == 0)
            {
                await Task.Delay(5);
            }

            await Task.Yield();
            return int.Parse(System.Text.Encoding.UTF8.GetString(data.Span));
        }
    }
}
