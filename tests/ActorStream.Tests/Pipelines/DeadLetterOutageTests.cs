using System.Text.Json;
using ActorStream.Kafka.Settings;
using ActorStream.Pipelines;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

public class DeadLetterOutageTests : PipelineSpec
{
    // Producers may not create topics, and give up on a record after a second: a missing DLQ topic
    // makes every dead-letter write fail.
    public DeadLetterOutageTests(ITestOutputHelper output)
        : base(output, """
            actorstream.kafka.producer.properties {
              "allow.auto.create.topics" = false
              "message.timeout.ms" = 1000
            }
            """)
    {
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    [Fact]
    public async Task While_the_dlq_is_unavailable_nothing_is_committed_past_the_failed_record()
    {
        var topic = NewTopic(1, withDlq: false);
        Kafka.CreateTopic($"{topic}.out", 1);
        Produce(topic, Enumerable.Range(1, 10).Select(seq => ((string?)$"k-{seq % 3}", JsonSerializer.Serialize(new SeqValue(seq, Fail: seq == 4), Entities.EntityJson.Options))));

        var settings = Settings("dlq-down", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings, committerSettings: CommitterSettings.Create(Sys).WithMaxInterval(TimeSpan.FromMilliseconds(50)));
        var journal = Journal.For(topic);
        // Key k-1 (seqs 1, 4, 7, 10) waits behind its failed record until the dead letter is written;
        // the other keys flow.
        await AwaitConditionAsync(() => Task.FromResult(journal.Count(e => e.Seq > 0) >= 7), TimeSpan.FromSeconds(30));

        // Commits run every 50 ms; give several dead-letter attempts time to fail.
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 3), TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(3, Committed(settings.GroupId, topic, 1)[0]); // offset 3 (seq 4) failed: the commit stays there
        Assert.DoesNotContain(journal, e => e.Seq is 7 or 10);

        Kafka.CreateTopic($"{topic}.dlq", 1);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 10), TimeSpan.FromSeconds(60));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));
        var letter = Assert.Single(ReadAll($"{topic}.dlq", 1, 1));
        // Distinct: on a loaded machine a record's output write may time out (message.timeout.ms = 1000
        // here), and the retried handler journals the same seq again; order is what matters.
        Assert.Equal([1L, 7L, 10L], journal.Where(e => e.Key == "k-1" && e.Seq > 0).Select(e => e.Seq).Distinct());
        Assert.Equal("3", Header(letter, "actorstream.dlq.original.offset"));
    }
}
