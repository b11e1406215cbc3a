using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ActorStream.Entities;
using ActorStream.Monitoring;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>
/// Kafka trouble at run time listed as diagnostics (what <c>actorstream cluster status</c> and
/// <c>/api/cluster</c> show) and counted in <c>actorstream.diagnostics{kind}</c>: an unavailable
/// topic while it lasts, and a summary of records that could not be read.
/// </summary>
public sealed class PipelineDiagnosticsTests : PipelineSpec
{
    private readonly MeterListener _meter = new();
    private readonly ConcurrentQueue<string> _kinds = new();

    public PipelineDiagnosticsTests(ITestOutputHelper output)
        : base(output, """
            actorstream.kafka.consumer.properties { "topic.metadata.refresh.interval.ms" = 500 }
            actorstream.monitoring.serialization-errors.window = 3s
            """)
    {
        _meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "ActorStream" && instrument.Name == "actorstream.diagnostics")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meter.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "kind")
                {
                    _kinds.Enqueue((string)tag.Value!);
                }
            }
        });
        _meter.Start();
    }

    [Fact]
    public async Task A_missing_topic_is_listed_with_the_check_to_make_while_it_is_missing_and_cleared_when_it_appears()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var topic = $"t-{Guid.NewGuid():N}"[..14];
        var settings = Settings("waiting", topic, "Seq");
        var monitoring = PipelineMonitoring.Get(Sys);
        var pipeline = Pipeline.Start(Sys, settings);

        var id = $"topic-unavailable/waiting/{topic}";
        await AwaitConditionAsync(() => Task.FromResult(monitoring.Diagnostics.Any(d => d.Id == id)), TimeSpan.FromSeconds(30));
        var diagnostic = monitoring.Diagnostics.Single(d => d.Id == id);
        Assert.Contains($"pipeline waiting (group {settings.GroupId}): subscribed topic '{topic}' is unavailable since", diagnostic.Condition);
        Assert.Contains("UnknownTopicOrPart", diagnostic.Condition);
        Assert.Contains("fails if it is still unavailable after 00:01:00", diagnostic.Condition);
        Assert.Contains("`actorstream topics plan`", diagnostic.Fix);
        Assert.Contains("every partition has a leader", diagnostic.Fix);
        Assert.Contains("topic-unavailable", _kinds);

        Kafka.CreateTopic(topic, 1);
        await AwaitConditionAsync(() => Task.FromResult(monitoring.Diagnostics.All(d => d.Id != id)), TimeSpan.FromSeconds(30));
        Produce(topic, [("k", """{"seq":1}""")]);
        await AwaitConditionAsync(() => Task.FromResult(Journal.For(topic).Any(j => j.Seq == 1)), TimeSpan.FromSeconds(30));
        Assert.False(pipeline.Completion.IsCompleted);
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Unreadable_records_are_summed_up_per_topic_logged_once_per_onset_and_point_at_schema_compatibility()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var topic = NewTopic(1);
        var settings = Settings("reading", topic, "Seq");
        var monitoring = PipelineMonitoring.Get(Sys);
        var pipeline = Pipeline.Start(Sys, settings);
        var id = $"serialization/reading/{topic}";

        // Five bad values among good ones: one diagnostic, logged once, however many records fail.
        await EventFilter.Warning(start: $"Diagnostic {id}:").ExpectOneAsync(async () =>
        {
            Produce(topic, Enumerable.Range(0, 10).Select(i => ((string?)$"k{i}", i % 2 == 0 ? $"not json {i}" : $$"""{"seq":{{i}}}""")));
            await AwaitConditionAsync(() => Task.FromResult(monitoring.Diagnostics.Any(d => d.Id == id && d.Count == 5)), TimeSpan.FromSeconds(30));
        });

        var diagnostic = monitoring.Diagnostics.Single(d => d.Id == id);
        Assert.Contains($"pipeline reading: 5 record(s) of topic {topic} could not be read and were dead-lettered to {topic}.dlq within the last 3 s (deserialize 5)", diagnostic.Condition);
        // Dead letters complete in any order: the last one is one of the bad records (even offsets).
        Assert.Matches($@"last: {System.Text.RegularExpressions.Regex.Escape(topic)}\[0\]@[02468], stage deserialize", diagnostic.Condition);
        Assert.Contains("compatibility level", diagnostic.Fix);
        Assert.Contains("actorstream schemas check", diagnostic.Fix);
        // The counter is process-wide (other test classes may count too): at least this pipeline's five.
        Assert.True(_kinds.Count(k => k == "serialization") >= 5);
        Assert.Equal(5, Journal.For(topic).Count(j => j.Seq % 2 == 1));

        // A window without unreadable records ends the condition; the next one starts (and logs) anew.
        await AwaitConditionAsync(() => Task.FromResult(monitoring.Diagnostics.All(d => d.Id != id)), TimeSpan.FromSeconds(15));
        await EventFilter.Warning(start: $"Diagnostic {id}:").ExpectOneAsync(async () =>
        {
            Produce(topic, [("k", "still not json")]);
            await AwaitConditionAsync(() => Task.FromResult(monitoring.Diagnostics.Any(d => d.Id == id)), TimeSpan.FromSeconds(30));
        });
        Assert.Contains("1 record(s)", monitoring.Diagnostics.Single(d => d.Id == id).Condition);
        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    protected override void AfterAll()
    {
        _meter.Dispose();
        base.AfterAll();
    }
}
