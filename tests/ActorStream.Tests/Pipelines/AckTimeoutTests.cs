using System.Text.Json;
using ActorStream.Pipelines;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

public class AckTimeoutTests : PipelineSpec
{
    public AckTimeoutTests(ITestOutputHelper output)
        : base(output)
    {
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    [Fact]
    public async Task A_record_not_acknowledged_within_ack_timeout_is_retried_then_dead_lettered_with_stage_timeout()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        Produce(topic, [
            ("slow-once", JsonSerializer.Serialize(new SeqValue(1, HangAttempts: 1), Entities.EntityJson.Options)),
            ("stuck", JsonSerializer.Serialize(new SeqValue(1, HangAttempts: 99), Entities.EntityJson.Options)),
            ("fine", JsonSerializer.Serialize(new SeqValue(1), Entities.EntityJson.Options)),
        ]);
        var settings = Settings("acks", topic, "Seq").WithAckTimeout(TimeSpan.FromMilliseconds(500));
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);

        var dlq = ReadAll($"{topic}.dlq", 1, 1, TimeSpan.FromSeconds(30));
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 3), TimeSpan.FromSeconds(30));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        // slow-once hung on attempt 1, was re-sent after the timeout and succeeded on attempt 2.
        Assert.Contains(journal, e => e.Key == "slow-once" && e.Seq == -1001 && e.Attempt == 1);
        Assert.Contains(journal, e => e.Key == "slow-once" && e.Seq == 1 && e.Attempt == 2);
        Assert.Contains(journal, e => e.Key == "fine" && e.Seq == 1);

        // stuck hung on every attempt: dead-lettered as a timeout after max-attempts (3).
        var letter = Assert.Single(dlq);
        Assert.Equal("stuck", letter.Message.Key);
        Assert.Equal("timeout", Header(letter, "actorstream.dlq.stage"));
        Assert.Equal("System.TimeoutException", Header(letter, "actorstream.dlq.exception.type"));
        Assert.Equal("3", Header(letter, "actorstream.dlq.attempts"));
        Assert.DoesNotContain(journal, e => e.Key == "stuck" && e.Seq > 0);
    }
}
