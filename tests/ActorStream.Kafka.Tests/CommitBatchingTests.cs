using Akka.Streams.Dsl;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using ActorStream.TestKit;
using Xunit.Abstractions;

namespace ActorStream.Kafka.Tests;

public class CommitBatchingTests : KafkaSpec
{
    public CommitBatchingTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task Commits_are_batched_by_max_batch()
    {
        const int total = 2000;
        var topic = NewTopic(1);
        ProduceRaw(topic, total);
        var group = $"g-{Guid.NewGuid():N}";

        Kafka.StartRequestTracking();
        var commits = await ConsumeAndCommit(topic, group, total, CommitterSettings.Create(Sys).WithMaxBatch(200).WithMaxInterval(TimeSpan.FromMinutes(1)));

        // 2000 offsets, batches of 200: at most 10 batches (the last one at drain), never one per record.
        Assert.InRange(commits, 1, total / 200);
        Assert.Equal(total, Committed(group, topic, 1)[0]);
    }

    [Fact]
    public async Task Commits_are_batched_by_max_interval()
    {
        const int total = 500;
        var topic = NewTopic(1);
        var group = $"g-{Guid.NewGuid():N}";
        var settings = CommitterSettings.Create(Sys).WithMaxBatch(100_000).WithMaxInterval(TimeSpan.FromMilliseconds(200));

        Kafka.StartRequestTracking();
        var count = 0;
        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                Interlocked.Increment(ref count);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(settings), Keep.Both)
            .Run(Materializer);

        // Records arrive in five bursts; the interval (not the batch size) triggers the commits.
        for (var burst = 0; burst < 5; burst++)
        {
            ProduceRaw(topic, total / 5, start: burst * (total / 5));
            var expected = (burst + 1) * (total / 5);
            await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref count) == expected), TimeSpan.FromSeconds(20));
            await AwaitConditionAsync(() => Task.FromResult(Committed(group, topic, 1).GetValueOrDefault(0) == expected), TimeSpan.FromSeconds(10));
        }

        await control.DrainAndShutdown(done);
        Assert.InRange(Kafka.CountRequests(KafkaApiKey.OffsetCommit), 5, 25);
    }

    [Fact]
    public async Task Unbatched_commits_send_many_more_requests_than_batched_ones()
    {
        const int total = 1000;
        var topic = NewTopic(1);
        ProduceRaw(topic, total);

        Kafka.StartRequestTracking();
        var batched = await ConsumeAndCommit(topic, $"g-{Guid.NewGuid():N}", total, CommitterSettings.Create(Sys).WithMaxBatch(500));
        Kafka.ClearRequests();

        // Every offset committed on its own (no committer): one request per record unless the
        // commit worker merges requests queued behind one on the wire.
        var group = $"g-{Guid.NewGuid():N}";
        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Take(total)
            .SelectAsync(1, async m =>
            {
                await m.CommittableOffset.CommitAsync();
                return m;
            })
            .ToMaterialized(Sink.Ignore<CommittableMessage<string, string>>(), Keep.Both)
            .Run(Materializer);
        await done.WaitAsync(TimeSpan.FromSeconds(60));
        await control.Shutdown();
        var single = Kafka.CountRequests(KafkaApiKey.OffsetCommit);

        Assert.InRange(batched, 1, 2);
        Assert.True(single >= total / 2, $"one commit per record sent only {single} requests");
    }

    private async Task<int> ConsumeAndCommit(string topic, string group, int total, CommitterSettings settings)
    {
        Kafka.ClearRequests();
        var count = 0;
        var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .Select(m =>
            {
                Interlocked.Increment(ref count);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(settings), Keep.Both)
            .Run(Materializer);
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref count) == total), TimeSpan.FromSeconds(30));
        await control.DrainAndShutdown(done).WaitAsync(TimeSpan.FromSeconds(30));
        return Kafka.CountRequests(KafkaApiKey.OffsetCommit);
    }
}
