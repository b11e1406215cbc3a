using System.Diagnostics;
using System.Text.Json;
using ActorStream.Monitoring;
using ActorStream.Pipelines;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>
/// The output topic in trouble for longer than the whole retry budget (max-attempts × backoff +
/// ack-timeout): outputs are retried for as long as it lasts, never dead-lettered, and the commit
/// never passes a record whose outputs were not acknowledged. Two brokers: the output topic lives on
/// broker 2, everything else (input, DLQ, group coordinator) on broker 1, so the fault hits only the
/// outputs.
/// </summary>
public sealed class OutputOutageTests : PipelineSpec
{
    // A record's outputs fail after 1 s (message.timeout.ms); 3 attempts with 10-50 ms backoff and a
    // 1 s ack-timeout: without transient handling a record is dead-lettered after about 4 s.
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(6);

    public OutputOutageTests(ITestOutputHelper output)
        : base(output, brokers: 2, """
            actorstream.kafka.producer.properties {
              "message.timeout.ms" = 1000
              # The mock checks no idempotent sequence numbers: one request in flight keeps injected
              # produce errors from being misread as delivered (see EmbeddedKafka.PushRequestErrors).
              "max.in.flight.requests.per.connection" = 1
            }
            actorstream.monitoring {
              lag-interval = 200ms
              alerts.stuck-key.older-than = 1s
            }
            """)
    {
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    public enum Fault
    {
        BrokerDown,
        BrokerProduceErrors,
        PartitionProduceErrors,
    }

    [Theory]
    [InlineData(Fault.BrokerDown)]
    [InlineData(Fault.BrokerProduceErrors)]
    [InlineData(Fault.PartitionProduceErrors)]
    public async Task An_output_outage_longer_than_the_retry_budget_dead_letters_nothing_and_writes_every_output_once(Fault fault)
    {
        const int keys = 4;
        const int perKey = 10;
        var (topic, output) = Topics(outputPartitions: 2);
        var settings = Settings($"out-{fault}", topic, "Seq").WithAckTimeout(TimeSpan.FromSeconds(1));
        Kafka.SetCoordinator("group", settings.GroupId, 1);
        Produce(topic, Values(keys, 1, perKey / 2));
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == keys * perKey / 2), TimeSpan.FromSeconds(30));

        // The outage starts; the second half arrives meanwhile.
        var started = Stopwatch.StartNew();
        Break(fault, output);
        Produce(topic, Values(keys, perKey / 2 + 1, perKey));

        // Visible meanwhile: a stuck key (the records stay unacknowledged), no dead letter.
        await AwaitConditionAsync(() => Task.FromResult(PipelineMonitoring.Get(Sys).ActiveAlerts.Any(a => a.Pipeline == settings.Name && a.Rule == AlertRule.StuckKey)),
            TimeSpan.FromSeconds(30));
        while (started.Elapsed < Outage)
        {
            // No output of the second half can be written: nothing of it may be committed.
            await Task.Delay(200);
            Assert.Equal(keys * perKey / 2, Committed(settings.GroupId, topic, 1).GetValueOrDefault(0));
        }

        AssertNoDeadLetters($"{topic}.dlq", 1);
        Heal(fault);

        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == keys * perKey), TimeSpan.FromSeconds(60));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        AssertNoDeadLetters($"{topic}.dlq", 1);
        AssertEveryOutputOnceInOrder(output, keys, perKey);
    }

    [Fact]
    public async Task An_output_larger_than_message_max_bytes_is_dead_lettered_with_its_size_and_the_records_behind_it_flow()
    {
        var (topic, output) = Topics(outputPartitions: 1);
        var settings = Settings("out-big", topic, "Seq");
        Kafka.SetCoordinator("group", settings.GroupId, 1);
        Produce(topic, [
            ("a", Json(new SeqValue(1))),
            ("a", Json(new SeqValue(2, PadOutput: 1_100_000))),
            ("a", Json(new SeqValue(3))),
            ("b", Json(new SeqValue(1))),
        ]);
        var pipeline = Pipeline.Start(Sys, settings);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 4), TimeSpan.FromSeconds(30));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        var letter = Assert.Single(ReadToEnd($"{topic}.dlq", 1));
        Assert.Equal("1", Header(letter, "actorstream.dlq.original.offset"));
        Assert.Equal("handler", Header(letter, "actorstream.dlq.stage"));
        Assert.Equal("3", Header(letter, "actorstream.dlq.attempts"));
        Assert.Equal("ActorStream.Entities.OutputRejectedException", Header(letter, "actorstream.dlq.exception.type"));
        Assert.Matches($@"output to topic '{output}' \(key 'a'\) is 1,1\d\d,\d\d\d bytes, over message\.max\.bytes 1,000,000", Header(letter, "actorstream.dlq.exception.message"));
        Assert.Equal(["a:1", "a:3", "b:1"], ReadToEnd(output, 1).Select(o => $"{o.Message.Key}:{Seq(o)}").Order(StringComparer.Ordinal));
    }

    private (string Topic, string Output) Topics(int outputPartitions)
    {
        var topic = NewTopic(1);
        var output = $"{topic}.out";
        Kafka.CreateTopic(output, outputPartitions);
        Kafka.SetPartitionLeader(topic, 0, 1);
        Kafka.SetPartitionLeader($"{topic}.dlq", 0, 1);
        for (var p = 0; p < outputPartitions; p++)
        {
            Kafka.SetPartitionLeader(output, p, 2);
        }

        return (topic, output);
    }

    // Errors a real cluster gives while leadership moves, a broker is overloaded, or an ACL is being fixed.
    private static readonly ErrorCode[] TransientErrors = [ErrorCode.TopicAuthorizationFailed, ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas];

    private void Break(Fault fault, string output)
    {
        switch (fault)
        {
            case Fault.BrokerDown:
                Kafka.SetBrokerDown(2);
                break;
            case Fault.BrokerProduceErrors:
                // Each answer delayed (one request in flight per connection): together at least 10 s.
                Kafka.PushBrokerRequestErrors(2, KafkaApiKey.Produce,
                    Enumerable.Range(0, 40).Select(i => (TransientErrors[i % TransientErrors.Length], TimeSpan.FromMilliseconds(250))).ToArray());
                break;
            case Fault.PartitionProduceErrors:
                // Leadership moving away from the output partitions: librdkafka retries each after a
                // metadata refresh and retry.backoff.ms (at least 100 ms): together at least 10 s.
                for (var p = 0; p < 2; p++)
                {
                    Kafka.PushPartitionRequestErrors(output, p, KafkaApiKey.Produce,
                        Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? ErrorCode.NotLeaderForPartition : ErrorCode.LeaderNotAvailable).ToArray());
                }

                break;
        }
    }

    private void Heal(Fault fault)
    {
        if (fault == Fault.BrokerDown)
        {
            Kafka.SetBrokerUp(2);
        }

        // Pushed errors run out by themselves.
    }

    private void AssertEveryOutputOnceInOrder(string output, int keys, int perKey)
    {
        var outputs = ReadToEnd(output, 2);
        Assert.Equal(keys * perKey, outputs.Count);
        foreach (var key in outputs.GroupBy(o => o.Message.Key))
        {
            Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), key.OrderBy(o => o.Offset.Value).Select(Seq));
        }

        Assert.Equal(keys, outputs.Select(o => o.Message.Key).Distinct().Count());
    }

    private static IEnumerable<(string? Key, string Value)> Values(int keys, int fromSeq, int toSeq) =>
        Enumerable.Range(fromSeq, toSeq - fromSeq + 1).SelectMany(seq => Enumerable.Range(0, keys).Select(k => ((string?)$"k-{k}", Json(new SeqValue(seq)))));

    private static string Json(SeqValue value) => JsonSerializer.Serialize(value, Entities.EntityJson.Options);

    private static long Seq(ConsumeResult<string?, byte[]> output) => JsonDocument.Parse(output.Message.Value).RootElement.GetProperty("seq").GetInt64();
}
