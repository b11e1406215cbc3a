using System.Text.Json;
using ActorStream.Entities;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>
/// On revoke the pipeline finishes the records it already took (bounded by the consumer's
/// revoke-timeout), commits, and only then releases the partition: the next owner starts after
/// them, so nothing this node processed is delivered again.
/// </summary>
public sealed class RevokeHandOverTests : PipelineSpec
{
    public RevokeHandOverTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task Records_in_flight_at_a_revoke_are_finished_and_committed_before_the_partition_moves()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var topic = NewTopic(4);
        Kafka.CreateTopic($"{topic}.out", 4);

        // Slow entities: 20 keys, 100 ms per record (≈ 200 records/s), many records in flight per partition.
        Produce(topic, Enumerable.Range(0, 4000).Select(i => ((string?)$"k{i % 20}", $$"""{"seq":{{i}},"delayMs":100}""")));
        var settings = new PipelineSettingsBuilder("handover").Topic(topic).GroupId($"handover-{Guid.NewGuid():N}").Entity("Seq")
            .DlqTopic($"{topic}.dlq").MaxInFlightPerPartition(100).Build();
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(Journal.For(topic).Count >= 60), TimeSpan.FromSeconds(30));

        // A second member joins: cooperative rebalancing moves some partitions to it.
        var taken = new List<(int Partition, long Offset, long Seq)>();
        using (var other = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = settings.GroupId,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
        }).Build())
        {
            other.Subscribe(topic);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            DateTime? assignedAt = null;
            while (DateTime.UtcNow < deadline && (assignedAt is null || DateTime.UtcNow - assignedAt < TimeSpan.FromSeconds(5)))
            {
                var r = other.Consume(TimeSpan.FromMilliseconds(100));
                if (assignedAt is null && other.Assignment.Count > 0)
                {
                    assignedAt = DateTime.UtcNow;
                }

                if (r is { IsPartitionEOF: false })
                {
                    using var json = JsonDocument.Parse(r.Message.Value);
                    taken.Add((r.Partition.Value, r.Offset.Value, json.RootElement.GetProperty("seq").GetInt64()));
                }
            }

            Output.WriteLine($"other member: assigned {string.Join(",", other.Assignment.Select(a => a.Partition.Value))}, took {taken.Count} record(s); pipeline processed {Journal.For(topic).Count}");
            Assert.NotEmpty(other.Assignment);
            other.Close();
        }

        Assert.NotEmpty(taken);
        var processedHere = Journal.For(topic).Where(j => j.Seq >= 0).Select(j => j.Seq).ToHashSet();
        var again = taken.Where(t => processedHere.Contains(t.Seq)).ToList();
        Assert.True(again.Count == 0,
            $"{again.Count} record(s) processed by the pipeline were delivered again to the next owner, e.g. partition {again.FirstOrDefault().Partition} offset {again.FirstOrDefault().Offset}");

        // Not stopped gracefully here: after the other member joined and left, the mock broker may
        // answer this member's final commit with UnknownMemberId (see docs/connector.md, known
        // issues); the hand-over above is what this test is about.
        await pipeline.Control.Shutdown().WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(_ => { });
    }
}
