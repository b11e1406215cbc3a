using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using ActorStream.Entities;
using ActorStream.Pipelines;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

public sealed class TracingTests : PipelineSpec
{
    public TracingTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task Each_record_gets_a_span_that_continues_its_traceparent_and_outputs_carry_the_span_context()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<SeqEntity>("Seq"));
        var topic = NewTopic(2);
        Kafka.CreateTopic($"{topic}.out", 2);

        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "ActorStream",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if ((activity.GetTagItem("messaging.destination.name") as string) == topic)
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var durations = new ConcurrentQueue<(double Value, string Outcome)>();
        long inFlight = 0;
        using var meters = new MeterListener();
        meters.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "ActorStream" && i.Name is "actorstream.record.processing.duration" or "actorstream.records.in_flight" or "actorstream.records.delivered" or "actorstream.entities.active")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        meters.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (Tag(tags, "pipeline") == "traced")
            {
                durations.Enqueue((value, Tag(tags, "outcome") ?? ""));
            }
        });
        var delivered = new ConcurrentQueue<string>();
        long activeEntities = 0;
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Tag(tags, "pipeline") != "traced")
            {
                return;
            }

            switch (instrument.Name)
            {
                case "actorstream.records.in_flight":
                    Interlocked.Add(ref inFlight, value);
                    break;
                case "actorstream.records.delivered":
                    delivered.Enqueue(Tag(tags, "locality") ?? "");
                    break;
                case "actorstream.entities.active":
                    Interlocked.Add(ref activeEntities, value);
                    break;
            }
        });
        meters.Start();

        // 10 records with a producer-side trace each, one malformed record.
        var traces = Enumerable.Range(0, 10).Select(_ => (Trace: ActivityTraceId.CreateRandom(), Span: ActivitySpanId.CreateRandom())).ToList();
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = Kafka.BootstrapServers }).Build())
        {
            for (var i = 0; i < traces.Count; i++)
            {
                var headers = new Headers { { "traceparent", Encoding.UTF8.GetBytes($"00-{traces[i].Trace}-{traces[i].Span}-01") } };
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i % 3}", Value = $$"""{"seq":{{i}}}""", Headers = headers });
            }

            await producer.ProduceAsync(topic, new Message<string, string> { Key = "k0", Value = "not json" });
        }

        var settings = Settings("traced", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(spans.Count >= 11), TimeSpan.FromSeconds(30));
        await AwaitConditionAsync(() => Task.FromResult(durations.Count >= 11 && Interlocked.Read(ref inFlight) == 0), TimeSpan.FromSeconds(10));

        foreach (var (trace, span) in traces)
        {
            var processing = Assert.Single(spans, s => s.TraceId == trace);
            Assert.Equal(span, processing.ParentSpanId);
            Assert.Equal(ActivityKind.Consumer, processing.Kind);
            Assert.Equal($"process {topic}", processing.DisplayName);
            Assert.Equal("processed", processing.GetTagItem("actorstream.outcome"));
            Assert.Equal("traced", processing.GetTagItem("actorstream.pipeline"));
        }

        var malformed = Assert.Single(spans, s => s.GetTagItem("actorstream.outcome") as string == "dead-lettered");
        Assert.Equal(ActivityStatusCode.Error, malformed.Status);
        Assert.Equal(10, durations.Count(d => d.Outcome == "processed"));
        Assert.Equal(1, durations.Count(d => d.Outcome == "dead-lettered"));
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 30));

        // One node: every record was handled where it was consumed; one entity host per key is alive.
        Assert.True(delivered.Count >= 10, $"delivered {delivered.Count}");
        Assert.All(delivered, locality => Assert.Equal("local", locality));
        Assert.Equal(3, Interlocked.Read(ref activeEntities));

        // Every output carries the context of the span that produced it (same trace, span as parent).
        var outputs = ReadAll($"{topic}.out", 2, 10);
        Assert.Equal(10, outputs.Count);
        foreach (var output in outputs)
        {
            var traceParent = Header(output, "traceparent");
            var parts = traceParent.Split('-');
            var producing = Assert.Single(spans, s => s.TraceId.ToHexString() == parts[1]);
            Assert.Equal(producing.SpanId.ToHexString(), parts[2]);
        }

        // The dead letter keeps the record's headers untouched (it had none).
        var dead = Assert.Single(ReadAll($"{topic}.dlq", 2, 1));
        Assert.DoesNotContain(dead.Message.Headers, h => h.Key == "traceparent");

        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
