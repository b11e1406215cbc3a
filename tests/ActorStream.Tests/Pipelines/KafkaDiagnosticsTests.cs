using System.Collections.Concurrent;
using ActorStream.Entities;
using ActorStream.Monitoring;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>Kafka's common trouble turned into alerts: offsets lost to retention, rebalance storms.</summary>
public sealed class KafkaDiagnosticsTests : PipelineSpec
{
    public KafkaDiagnosticsTests(ITestOutputHelper output)
        : base(output, """
            actorstream.kafka.consumer.offset-out-of-range = earliest
            actorstream.monitoring {
              lag-interval = 200ms
              alerts {
                lag-above.threshold = 0
                lag-growing.for = off
                stalled-partition = off
                rebalance-storm { max-events = 3, within = 1m }
              }
            }
            """)
    {
    }

    [Fact]
    public async Task A_committed_offset_lost_to_retention_raises_an_alert_with_the_number_of_skipped_offsets()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        Produce(topic, Enumerable.Range(0, 100).Select(i => ((string?)"k", $$"""{"seq":{{i}}}""")));
        var settings = Settings("retention", topic, "Seq");
        using (var committer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = settings.GroupId }).Build())
        {
            committer.Commit([new TopicPartitionOffset(topic, 0, 10)]);
        }

        Kafka.DeleteRecords(topic, 0, 60);
        var alerts = Subscribe();
        var pipeline = Pipeline.Start(Sys, settings);

        await AwaitConditionAsync(() => Task.FromResult(alerts.Any(a => a.Rule == AlertRule.OffsetsSkipped)), TimeSpan.FromSeconds(30));
        var alert = alerts.First(a => a.Rule == AlertRule.OffsetsSkipped);
        Assert.Equal($"offsets-skipped/retention/{topic}/0", alert.Id);
        Assert.Contains($"committed offset 10 of {topic}[0] was outside its log [60, 100); policy earliest: 50 offset(s) skipped, never processed; consumption continued at 60", alert.Message);

        await AwaitConditionAsync(() => Task.FromResult(PipelineMonitoring.Get(Sys).Diagnostics.Any(d => d.Id == alert.Id)), TimeSpan.FromSeconds(10));
        Assert.Contains("raise the topic's retention", PipelineMonitoring.Get(Sys).Diagnostics.Single(d => d.Id == alert.Id).Fix);

        // Everything from the log start on is processed and committed.
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 100), TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(60, 40).Select(i => (long)i), Journal.For(topic).Where(j => j.Seq >= 0).Select(j => j.Seq).Order());
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Consumers_joining_and_leaving_the_group_are_reported_as_a_rebalance_storm()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var topic = NewTopic(4);
        var settings = Settings("storm", topic, "Seq");
        var alerts = Subscribe();
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(PipelineMonitoring.Get(Sys).AssignedPartitions(settings.GroupId).Count == 4), TimeSpan.FromSeconds(30));

        // Three other members join and leave, one after another: every join and leave moves partitions.
        for (var i = 0; i < 3 && !alerts.Any(a => a.Rule == AlertRule.RebalanceStorm); i++)
        {
            using var intruder = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
            {
                BootstrapServers = Kafka.BootstrapServers,
                GroupId = settings.GroupId,
                PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
                SessionTimeoutMs = 6000,
                HeartbeatIntervalMs = 500,
            }).Build();
            intruder.Subscribe(topic);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (intruder.Assignment.Count == 0 && DateTime.UtcNow < deadline)
            {
                intruder.Consume(TimeSpan.FromMilliseconds(100));
            }

            intruder.Close();
        }

        await AwaitConditionAsync(() => Task.FromResult(alerts.Any(a => a.Rule == AlertRule.RebalanceStorm)), TimeSpan.FromSeconds(30));
        var storm = alerts.First(a => a.Rule == AlertRule.RebalanceStorm);
        Assert.Equal("rebalance-storm/storm", storm.Id);
        Assert.Matches(@"partition assignments/revocations within 1 min \(limit 3\)", storm.Message);
        Assert.Contains("session.timeout.ms", storm.Message);
        await AwaitConditionAsync(() => Task.FromResult(PipelineMonitoring.Get(Sys).Diagnostics.Any(d => d.Id == "rebalance-storm/storm")), TimeSpan.FromSeconds(10));
        Assert.Contains("max.poll.interval.ms", PipelineMonitoring.Get(Sys).Diagnostics.Single(d => d.Id == "rebalance-storm/storm").Fix);
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    private ConcurrentQueue<Alert> Subscribe()
    {
        var fired = new ConcurrentQueue<Alert>();
        var listener = Sys.ActorOf(Akka.Actor.Props.Create(() => new Listener(fired)));
        Sys.EventStream.Subscribe(listener, typeof(AlertFired));
        return fired;
    }

    private sealed class Listener : Akka.Actor.ReceiveActor
    {
        public Listener(ConcurrentQueue<Alert> fired) => Receive<AlertFired>(f => fired.Enqueue(f.Alert));
    }
}
