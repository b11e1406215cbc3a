using System.Text.Json;
using ActorStream.Pipelines;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>
/// A producer that hits a fatal error (OUT_OF_ORDER_SEQUENCE_NUMBER on the head-of-line request of
/// an idempotent producer: librdkafka raises a fatal error and the client refuses every later
/// record) is replaced by a new one; what it had not delivered is sent again through the new one.
/// </summary>
public sealed class FatalProducerTests : PipelineSpec
{
    public FatalProducerTests(ITestOutputHelper output)
        : base(output, """
            # One request in flight: the mock checks no idempotent sequence numbers, so later requests
            # must not be appended behind the one that got the injected error.
            actorstream.kafka.producer.properties { "max.in.flight.requests.per.connection" = 1 }
            """)
    {
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    [Fact]
    public async Task After_a_fatal_error_of_the_output_producer_every_output_is_written_once_and_nothing_is_dead_lettered()
    {
        const int keys = 5;
        const int perKey = 8;
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        Produce(topic, Enumerable.Range(1, perKey).SelectMany(seq => Enumerable.Range(0, keys).Select(k => ((string?)$"k-{k}", Json(new SeqValue(seq, DelayMs: 20))))));

        // The first output request fails fatally; later, mid-stream, another one does.
        Kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.OutOfOrderSequenceNumber);
        var settings = Settings("fatal-out", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(EndOffsets($"{topic}.out", 1)[0] >= keys * perKey / 2), TimeSpan.FromSeconds(60));
        Kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.OutOfOrderSequenceNumber);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == keys * perKey), TimeSpan.FromSeconds(60));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        AssertNoDeadLetters($"{topic}.dlq", 1);
        var outputs = ReadToEnd($"{topic}.out", 1);
        Assert.Equal(keys * perKey, outputs.Count);
        foreach (var key in outputs.GroupBy(o => o.Message.Key))
        {
            Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), key.OrderBy(o => o.Offset.Value).Select(o => JsonDocument.Parse(o.Message.Value).RootElement.GetProperty("seq").GetInt64()));
        }
    }

    [Fact]
    public async Task After_a_fatal_error_of_the_dlq_producer_each_dead_letter_is_written_once_and_the_partition_moves_on()
    {
        var topic = NewTopic(1);
        Produce(topic, Enumerable.Range(0, 6).Select(i => ((string?)$"k-{i}", $"not json {i}")));

        Kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.OutOfOrderSequenceNumber);
        var settings = Settings("fatal-dlq", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 6), TimeSpan.FromSeconds(60));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        var dlq = ReadToEnd($"{topic}.dlq", 1);
        Assert.Equal(["0", "1", "2", "3", "4", "5"], dlq.Select(l => Header(l, "actorstream.dlq.original.offset")).Order(StringComparer.Ordinal));
        Assert.All(dlq, l => Assert.Equal("deserialize", Header(l, "actorstream.dlq.stage")));
    }

    private static string Json(SeqValue value) => JsonSerializer.Serialize(value, Entities.EntityJson.Options);
}
