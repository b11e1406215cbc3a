using System.Text.Json;
using ActorStream.Monitoring;
using ActorStream.Pipelines;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

public class PipelinePauseTests : PipelineSpec
{
    // The connector's buffer is small, so a pause makes it pause fetching (its back-pressure path);
    // max.poll.interval.ms is short, so a consumer that stopped polling while paused would be thrown
    // out of its group (a rebalance) within the paused window below.
    private const string Config = """
        actorstream.kafka.consumer.max-buffered-per-partition = 5
        actorstream.kafka.consumer.properties { "max.poll.interval.ms" = 7000 }
        """;

    public PipelinePauseTests(ITestOutputHelper output)
        : base(output, Config)
    {
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    [Fact]
    public async Task Pause_stops_intake_after_the_in_flight_window_without_a_rebalance_and_resume_processes_the_rest_in_key_order()
    {
        const int partitions = 4;
        const int maxInFlight = 3;
        const int keys = 20;
        var topic = NewTopic(partitions);
        Kafka.CreateTopic($"{topic}.out", partitions);
        var settings = Settings("pause", topic, "Seq").WithMaxInFlightPerPartition(maxInFlight);

        // Slow records, so that records are in flight when the pause comes.
        Produce(topic, Records(keys, 1, 10, delayMs: 20));
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= 20), TimeSpan.FromSeconds(60));

        var pausedAt = DateTimeOffset.UtcNow;
        Assert.True(pipeline.Pause());
        Assert.False(pipeline.Pause()); // idempotent
        var atPause = journal.Count;
        Assert.True(pipeline.IsPaused);
        Assert.True(PipelineMonitoring.Get(Sys).IsPaused("pause"));

        // More records while paused: none of them may be taken.
        Produce(topic, Records(keys, 11, 15, delayMs: 0));

        // The in-flight records finish and are committed: the committed offsets reach what was
        // processed, and stay there.
        await AwaitAssertAsync(() =>
        {
            var processed = journal.Count;
            Assert.Equal(processed, Committed(settings.GroupId, topic, partitions).Values.Sum());
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

        // Observation window (longer than max.poll.interval.ms): nothing beyond the in-flight window
        // of each partition is processed, and the consumer keeps its partitions.
        var observeUntil = DateTime.UtcNow + TimeSpan.FromSeconds(9);
        while (DateTime.UtcNow < observeUntil)
        {
            Assert.True(journal.Count <= atPause + (partitions * maxInFlight),
                $"{journal.Count - atPause} records processed after the pause; the in-flight window is {partitions * maxInFlight}");
            await Task.Delay(250);
        }

        var whilePaused = journal.Count;
        Assert.True(whilePaused < keys * 15, "everything was processed although the pipeline was paused");
        Assert.Equal(whilePaused, Committed(settings.GroupId, topic, partitions).Values.Sum());
        Assert.Equal(0, PipelineMonitoring.Get(Sys).PartitionEvents(settings.GroupId, pausedAt));
        Assert.Equal(partitions, PipelineMonitoring.Get(Sys).AssignedPartitions(settings.GroupId).Count);
        Assert.All(journal, e => Assert.Equal(1, e.Attempt)); // nothing redelivered

        Assert.True(pipeline.Resume());
        Assert.False(pipeline.Resume());
        Assert.False(pipeline.IsPaused);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= keys * 15), TimeSpan.FromSeconds(60));
        await AwaitAssertAsync(() => Assert.Equal(EndOffsets(topic, partitions), Committed(settings.GroupId, topic, partitions)),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, PipelineMonitoring.Get(Sys).PartitionEvents(settings.GroupId, pausedAt)); // before the stop, which revokes

        // Paused while idle: every partition stream has already asked for its next record. A record
        // arriving now must be held, not processed.
        Assert.True(pipeline.Pause());
        var idleCount = journal.Count;
        Produce(topic, Records(keys, 16, 16, delayMs: 0));
        var idleUntil = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < idleUntil)
        {
            Assert.Equal(idleCount, journal.Count);
            await Task.Delay(100);
        }

        Assert.True(pipeline.Resume());
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= keys * 16), TimeSpan.FromSeconds(60));
        await AwaitAssertAsync(() => Assert.Equal(EndOffsets(topic, partitions), Committed(settings.GroupId, topic, partitions)),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        // Every record exactly once, in per-key order, across the pauses.
        Assert.Equal(keys * 16, journal.Count);
        Assert.All(journal.GroupBy(e => e.Key), g => Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), g.Select(e => e.Seq)));
    }

    private static IEnumerable<(string? Key, string Value)> Records(int keys, int fromSeq, int toSeq, int delayMs) =>
        Enumerable.Range(fromSeq, toSeq - fromSeq + 1).SelectMany(seq => Enumerable.Range(0, keys).Select(k =>
            ((string?)$"k-{k}", JsonSerializer.Serialize(new SeqValue(seq, DelayMs: delayMs), Entities.EntityJson.Options))));
}
