using System.Collections.Concurrent;
using ActorStream.Entities;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using ActorStream.Monitoring;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>Records when a record's handling starts, holds it until the test opens its topic's gate, then journals it.</summary>
public sealed class HoldingEntity : RecordEntity<SeqValue>
{
    public static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    public static readonly ConcurrentDictionary<string, ConcurrentQueue<long>> Started = new();

    public static TaskCompletionSource Gate(string topic) => Gates.GetOrAdd(topic, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    protected override async Task HandleAsync(SeqValue value, RecordContext context)
    {
        Started.GetOrAdd(context.Record.Topic, _ => new()).Enqueue(value.Seq);
        await Gate(context.Record.Topic).Task;
        Journal.For(context.Record.Topic).Enqueue((EntityId, value.Seq, context.Attempt));
    }
}

/// <summary>
/// Each pipeline's consumer applies the pipeline's own offset-out-of-range policy (the node's
/// consumer-wide policy here is latest), at assignment and while reading, and the skip is raised
/// as an alert that says how many offsets were skipped.
/// </summary>
public sealed class PipelineOffsetPolicyTests : PipelineSpec
{
    public PipelineOffsetPolicyTests(ITestOutputHelper output)
        : base(output, """
            actorstream.kafka.consumer.offset-out-of-range = latest
            actorstream.kafka.consumer.max-buffered-per-partition = 5
            actorstream.monitoring {
              lag-interval = 200ms
              alerts {
                lag-above.threshold = 0
                lag-growing.for = off
                stalled-partition = off
                stuck-key.older-than = off
              }
            }
            """)
    {
    }

    [Fact]
    public async Task Critical_default_and_explicit_pipelines_on_one_node_each_apply_their_own_policy()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var skips = new ConcurrentQueue<OffsetsSkipped>();
        Sys.EventStream.Subscribe(Sys.ActorOf(Akka.Actor.Props.Create(() => new Collector<OffsetsSkipped>(skips))), typeof(OffsetsSkipped));

        var critical = Truncated(new PipelineSettingsBuilder("critical").Critical());
        var plain = Truncated(new PipelineSettingsBuilder("plain"));
        var earliest = Truncated(new PipelineSettingsBuilder("explicit").Critical().OffsetOutOfRange(PipelineOffsetOutOfRange.Earliest));
        var pipelines = new[] { critical, plain, earliest }.Select(p => Pipeline.Start(Sys, p.Settings)).ToList();

        // critical, offset-out-of-range = default: fail, naming the partition and the lost records.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pipelines[0].Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        var outOfRange = Assert.IsType<OffsetOutOfRangeException>(error.GetBaseException());
        Assert.Contains($"committed offset 10 of {critical.Topic}[0] is outside its log [60, 100): 50 record(s) were deleted (retention) before they were processed", outOfRange.Message);

        // not critical, default: the consumer-wide latest.
        await AwaitConditionAsync(() => Task.FromResult(skips.Any(s => s.GroupId == plain.Settings.GroupId) && skips.Any(s => s.GroupId == earliest.Settings.GroupId)), TimeSpan.FromSeconds(30));
        var skip = skips.Single(s => s.GroupId == plain.Settings.GroupId);
        Assert.Equal((OffsetOutOfRangePolicy.Latest, (long?)100L, 90L), (skip.Policy, skip.ResumedAt, skip.Skipped));
        Assert.Equal(OffsetOutOfRangePolicy.Fail, skips.Single(s => s.GroupId == critical.Settings.GroupId).Policy);

        // critical but explicitly earliest: its own choice wins; everything from the log start is processed.
        skip = skips.Single(s => s.GroupId == earliest.Settings.GroupId);
        Assert.Equal((OffsetOutOfRangePolicy.Earliest, (long?)60L, 50L), (skip.Policy, skip.ResumedAt, skip.Skipped));
        await AwaitConditionAsync(() => Task.FromResult(Journal.For(earliest.Topic).Count >= 40), TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(60, 40).Select(i => (long)i), Journal.For(earliest.Topic).Select(j => j.Seq).Order());
        Assert.Empty(Journal.For(plain.Topic));

        foreach (var pipeline in pipelines.Skip(1))
        {
            await pipeline.StopAsync(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task Records_deleted_ahead_of_a_running_pipeline_are_skipped_by_its_policy_and_the_alert_says_how_many()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<HoldingEntity>("Holding"));
        var topic = NewTopic(1);
        Produce(topic, Enumerable.Range(0, 100).Select(i => ((string?)$"k{i % 10}", $$"""{"seq":{{i}}}""")));
        var skips = new ConcurrentQueue<OffsetsSkipped>();
        Sys.EventStream.Subscribe(Sys.ActorOf(Akka.Actor.Props.Create(() => new Collector<OffsetsSkipped>(skips))), typeof(OffsetsSkipped));
        var alerts = new ConcurrentQueue<Alert>();
        Sys.EventStream.Subscribe(Sys.ActorOf(Akka.Actor.Props.Create(() => new AlertCollector(alerts))), typeof(AlertFired));

        // The pipeline's own policy (earliest), not the node's (latest). Its handlers hold their
        // records, so after a few records in flight and a full buffer the consumer pauses.
        var settings = new PipelineSettingsBuilder("reader").Topic(topic).GroupId($"reader-{Guid.NewGuid():N}").Entity("Holding").DlqTopic($"{topic}.dlq")
            .MaxInFlightPerPartition(2).AckTimeout(TimeSpan.FromMinutes(5)).OffsetOutOfRange(PipelineOffsetOutOfRange.Earliest).Build();
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(HoldingEntity.Started.TryGetValue(topic, out var s) && !s.IsEmpty), TimeSpan.FromSeconds(30));

        // Retention catches up with the pipeline: the records it has not read yet go.
        Kafka.DeleteRecords(topic, 0, 50);
        Produce(topic, Enumerable.Range(100, 10).Select(i => ((string?)$"k{i % 10}", $$"""{"seq":{{i}}}""")));
        HoldingEntity.Gate(topic).TrySetResult();

        await AwaitConditionAsync(() => Task.FromResult(alerts.Any(a => a.Rule == AlertRule.OffsetsSkipped)), TimeSpan.FromSeconds(30));
        var skip = Assert.Single(skips, s => s.GroupId == settings.GroupId);
        var position = skip.Committed;
        Assert.Equal((OutOfRangeDetection.Fetch, OffsetOutOfRangePolicy.Earliest, (long?)50L, 50 - position), (skip.DetectedAt, skip.Policy, skip.ResumedAt, skip.Skipped));
        Assert.InRange(position, 1, 49);
        var alert = alerts.First(a => a.Rule == AlertRule.OffsetsSkipped);
        Assert.Equal($"offsets-skipped/reader/{topic}/0", alert.Id);
        Assert.Contains($"fetch position {position} of {topic}[0] fell outside its log [50, 110) while the pipeline was reading", alert.Message);
        Assert.Contains($"policy earliest: {50 - position} offset(s) skipped, never processed; consumption continued at 50", alert.Message);

        // Everything before the fetch position and everything from the new log start is processed and committed.
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 110), TimeSpan.FromSeconds(30));
        var expected = Enumerable.Range(0, (int)position).Concat(Enumerable.Range(50, 60)).Select(i => (long)i);
        Assert.Equal(expected, Journal.For(topic).Select(j => j.Seq).Order());
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>A topic of 100 records whose group committed 10 and whose records before 60 were then deleted.</summary>
    private (PipelineSettings Settings, string Topic) Truncated(PipelineSettingsBuilder builder)
    {
        var topic = NewTopic(1);
        Produce(topic, Enumerable.Range(0, 100).Select(i => ((string?)"k", $$"""{"seq":{{i}}}""")));
        var settings = builder.Topic(topic).GroupId($"g-{Guid.NewGuid():N}").Entity("Seq").DlqTopic($"{topic}.dlq").Build();
        using (var committer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = settings.GroupId }).Build())
        {
            committer.Commit([new TopicPartitionOffset(topic, 0, 10)]);
        }

        Kafka.DeleteRecords(topic, 0, 60);
        return (settings, topic);
    }

    private sealed class Collector<T> : Akka.Actor.ReceiveActor
    {
        public Collector(ConcurrentQueue<T> into) => Receive<T>(into.Enqueue);
    }

    private sealed class AlertCollector : Akka.Actor.ReceiveActor
    {
        public AlertCollector(ConcurrentQueue<Alert> into) => Receive<AlertFired>(f => into.Enqueue(f.Alert));
    }
}
