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

public class RebalanceTests : KafkaSpec
{
    private long _clock;

    public RebalanceTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task Two_consumers_rebalance_without_loss_and_without_emitting_revoked_partitions()
    {
        const int partitions = 6;
        const int total = 6000;
        var topic = NewTopic(partitions);
        var group = $"g-{Guid.NewGuid():N}";
        var journal = new ConcurrentQueue<Entry>();
        var committer = CommitterSettings.Create(Sys).WithMaxBatch(20).WithMaxInterval(TimeSpan.FromMilliseconds(50));

        // Produced while the group changes under the consumers.
        var producing = Task.Run(() =>
        {
            for (var i = 0; i < 6; i++)
            {
                ProduceRaw(topic, total / 6, keys: 500, start: i * (total / 6));
            }
        });

        var a = Run("A", group, topic, journal, committer);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count(e => e.Kind == "record") > 500), TimeSpan.FromSeconds(30));

        var b = Run("B", group, topic, journal, committer);
        await AwaitConditionAsync(() => Task.FromResult(journal.Any(e => e.Consumer == "B" && e.Kind == "assigned")), TimeSpan.FromSeconds(30));
        await producing.WaitAsync(TimeSpan.FromSeconds(60));

        var ends = EndOffsets(topic, partitions);
        await AwaitSeen(journal, total, topic, partitions);

        // A leaves: its partitions move to B (another revoke on A's side).
        await a.Control.DrainAndShutdown(a.Done).WaitAsync(TimeSpan.FromSeconds(30));
        ProduceRaw(topic, 600, keys: 500, start: total);
        await AwaitSeen(journal, total + 600, topic, partitions);
        await b.Control.DrainAndShutdown(b.Done).WaitAsync(TimeSpan.FromSeconds(30));

        // No loss: every produced offset was processed by someone.
        ends = EndOffsets(topic, partitions);
        var seen = Seen(journal);
        Assert.Equal(total + 600, ends.Values.Sum());
        foreach (var (p, end) in ends)
        {
            for (long o = 0; o < end; o++)
            {
                Assert.True(seen.Contains((p, o)), $"offset {o} of partition {p} was never processed");
            }
        }

        // Both consumers had partitions, and revocations happened.
        Assert.Contains(journal, e => e.Consumer == "A" && e.Kind == "revoked");
        Assert.Contains(journal, e => e.Consumer == "B" && e.Kind == "record");

        // No record of a partition was emitted by a consumer after that partition was revoked from it
        // (unless it was assigned to that consumer again later).
        foreach (var consumer in new[] { "A", "B" })
        {
            var events = journal.Where(e => e.Consumer == consumer).OrderBy(e => e.Clock).ToList();
            var owned = new HashSet<int>();
            foreach (var e in events)
            {
                switch (e.Kind)
                {
                    case "assigned":
                        owned.UnionWith(e.Partitions);
                        break;
                    case "revoked":
                        owned.ExceptWith(e.Partitions);
                        break;
                    case "record":
                        Assert.True(owned.Contains(e.Partitions[0]), $"{consumer} emitted {topic}[{e.Partitions[0]}]@{e.Offset} while not owning the partition");
                        break;
                }
            }
        }

        // Each partition's sub-source completed when its partition was revoked.
        Assert.Equal(journal.Count(e => e.Kind == "revoked-sub"), journal.Where(e => e.Kind == "revoked").Sum(e => e.Partitions.Count));

        // All processed offsets were committed by the owners at hand-over and drain.
        Assert.Equal(ends, Committed(group, topic, partitions));
    }

    [Fact]
    public async Task An_offset_of_a_revoked_partition_is_not_committed_by_its_former_owner()
    {
        var topic = NewTopic(2);
        ProduceRaw(topic, 200, keys: 50);
        var group = $"g-{Guid.NewGuid():N}";
        var revoked = new TaskCompletionSource<TopicPartition>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stale = new ConcurrentDictionary<int, CommittableOffset>();
        var latest = new ConcurrentDictionary<int, CommittableOffset>();
        var owned = new ConcurrentDictionary<int, bool>();
        var handler = new Handler(
            onAssigned: tps => tps.ToList().ForEach(tp => owned[tp.Partition.Value] = true),
            onRevoked: tps =>
            {
                tps.ToList().ForEach(tp => owned.TryRemove(tp.Partition.Value, out _));
                revoked.TrySetResult(tps[0]);
            });

        // A keeps the first offset it saw per partition (to commit after the move) and the latest one.
        var (controlA, _) = KafkaConsumer.CommittableSource(ConsumerSettings(group).WithPartitionEventHandler(handler), Subscriptions.Topics(topic))
            .Select(m =>
            {
                stale.TryAdd(m.Record.Partition.Value, m.CommittableOffset);
                latest[m.Record.Partition.Value] = m.CommittableOffset;
                return m;
            })
            .ToMaterialized(Sink.Ignore<CommittableMessage<string, string>>(), Keep.Both)
            .Run(Materializer);
        await AwaitConditionAsync(() => Task.FromResult(stale.Count == 2), TimeSpan.FromSeconds(30));

        // B joins; at least one partition moves from A to B.
        var (controlB, _) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .ToMaterialized(Sink.Ignore<CommittableMessage<string, string>>(), Keep.Both)
            .Run(Materializer);
        var moved = await revoked.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The former owner commits its stale offset of the moved partition: skipped, not sent.
        await stale[moved.Partition.Value].CommitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(Committed(group, topic, 2).ContainsKey(moved.Partition.Value), "a revoked partition's offset was committed by its former owner");

        // Control: an offset of a partition A still owns (if the assignor left it one) is committed.
        var kept = 1 - moved.Partition.Value;
        if (owned.ContainsKey(kept))
        {
            await latest[kept].CommitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (owned.ContainsKey(kept))
            {
                Assert.Equal(latest[kept].Offset + 1, Committed(group, topic, 2)[kept]);
            }
        }

        await controlA.Shutdown();
        await controlB.Shutdown();
    }

    [Fact]
    public async Task Cancelled_partition_sub_source_restarts_from_the_last_commit()
    {
        var topic = NewTopic(1);
        ProduceRaw(topic, 100, keys: 1);
        var group = $"g-{Guid.NewGuid():N}";
        var firstOffsets = new ConcurrentQueue<long>();
        var subSources = 0;

        var (control, done) = KafkaConsumer.CommittablePartitionedSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .SelectAsync(1, async pair =>
            {
                var n = Interlocked.Increment(ref subSources);
                if (n == 1)
                {
                    // First incarnation: commit up to offset 29, then cancel after offset 39.
                    await pair.Records
                        .Take(40)
                        .SelectAsync(1, async m =>
                        {
                            if (m.Record.Offset.Value <= 29)
                            {
                                await m.CommittableOffset.CommitAsync();
                            }

                            return m;
                        })
                        .RunWith(Sink.Ignore<CommittableMessage<string, string>>(), Materializer);
                }
                else
                {
                    var first = await pair.Records.RunWith(Sink.First<CommittableMessage<string, string>>(), Materializer);
                    firstOffsets.Enqueue(first.Record.Offset.Value);
                }

                return NotUsed.Instance;
            })
            .Take(2)
            .ToMaterialized(Sink.Ignore<NotUsed>(), Keep.Both)
            .Run(Materializer);

        await done.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([30L], firstOffsets.ToArray());
        await control.Shutdown();
    }

    private async Task AwaitSeen(ConcurrentQueue<Entry> journal, int count, string topic, int partitions)
    {
        try
        {
            await AwaitConditionAsync(() => Task.FromResult(Seen(journal).Count >= count), TimeSpan.FromSeconds(60));
        }
        catch
        {
            var ends = EndOffsets(topic, partitions);
            foreach (var group in journal.Where(e => e.Kind == "record").GroupBy(e => (e.Consumer, e.Partitions[0])).OrderBy(g => g.Key))
            {
                Output.WriteLine($"{group.Key.Consumer} p{group.Key.Item2}: {group.Count()} records, offsets {group.Min(e => e.Offset)}..{group.Max(e => e.Offset)} of end {ends[group.Key.Item2]}");
            }

            foreach (var e in journal.Where(e => e.Kind != "record"))
            {
                Output.WriteLine($"{e.Clock} {e.Consumer} {e.Kind} [{string.Join(",", e.Partitions)}]");
            }

            throw;
        }
    }

    private static HashSet<(int, long)> Seen(IEnumerable<Entry> journal) =>
        journal.Where(e => e.Kind == "record").Select(e => (e.Partitions[0], e.Offset)).ToHashSet();

    private (IConsumerControl Control, Task<Done> Done) Run(string name, string group, string topic, ConcurrentQueue<Entry> journal, CommitterSettings committer)
    {
        var handler = new Handler(
            onAssigned: tps => journal.Enqueue(new Entry(Tick(), name, "assigned", tps.Select(t => t.Partition.Value).ToList(), -1)),
            onRevoked: tps => journal.Enqueue(new Entry(Tick(), name, "revoked", tps.Select(t => t.Partition.Value).ToList(), -1)));
        var settings = ConsumerSettings(group).WithPartitionEventHandler(handler).WithMaxBufferedPerPartition(50);
        return KafkaConsumer.CommittablePartitionedSource(settings, Subscriptions.Topics(topic))
            .Select(pair => pair.Records
                .Select(m =>
                {
                    journal.Enqueue(new Entry(Tick(), name, "record", [m.Record.Partition.Value], m.Record.Offset.Value));
                    return (ICommittable)m.CommittableOffset;
                })
                .WatchTermination((_, t) =>
                {
                    t.ContinueWith(_ => journal.Enqueue(new Entry(Tick(), name, "revoked-sub", [pair.Partition.Partition.Value], -1)));
                    return NotUsed.Instance;
                }))
            .Via(Flow.Create<Source<ICommittable, NotUsed>>().MergeMany(64, s => s))
            .ToMaterialized(Committer.Sink(committer), Keep.Both)
            .Run(Materializer);
    }

    private long Tick() => Interlocked.Increment(ref _clock);

    private sealed record Entry(long Clock, string Consumer, string Kind, IReadOnlyList<int> Partitions, long Offset);

    private sealed class Handler : IPartitionEventHandler
    {
        private readonly Action<IReadOnlyList<TopicPartition>>? _onAssigned;
        private readonly Action<IReadOnlyList<TopicPartition>>? _onRevoked;

        public Handler(Action<IReadOnlyList<TopicPartition>>? onAssigned = null, Action<IReadOnlyList<TopicPartition>>? onRevoked = null)
        {
            _onAssigned = onAssigned;
            _onRevoked = onRevoked;
        }

        public void OnAssigned(IReadOnlyList<TopicPartition> partitions) => _onAssigned?.Invoke(partitions);

        public Task OnRevokedAsync(IReadOnlyList<TopicPartition> partitions)
        {
            _onRevoked?.Invoke(partitions);
            return Task.CompletedTask;
        }
    }
}
