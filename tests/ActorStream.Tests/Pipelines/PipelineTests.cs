using System.Text.Json;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

public class PipelineTests : PipelineSpec
{
    public PipelineTests(ITestOutputHelper output)
        : base(output)
    {
        ActorStreamExtension.Get(Sys).Entities.Register<SeqEntity>("Seq");
    }

    [Fact]
    public async Task Per_key_order_holds_with_1000_keys_over_8_partitions_and_random_delays()
    {
        const int keys = 1000;
        const int perKey = 8;
        var topic = NewTopic(8);
        Kafka.CreateTopic($"{topic}.out", 8);
        var random = new Random(11);
        Produce(topic, Enumerable.Range(1, perKey).SelectMany(seq => Enumerable.Range(0, keys).Select(k =>
            ((string?)$"k-{k}", JsonSerializer.Serialize(new SeqValue(seq, DelayMs: random.Next(10) == 0 ? random.Next(1, 4) : 0), Entities.EntityJson.Options)))));

        var settings = Settings("order", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= keys * perKey), TimeSpan.FromSeconds(90));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        var byKey = journal.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Seq).ToList());
        Assert.Equal(keys, byKey.Count);
        Assert.All(byKey, kv => Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), kv.Value));
        Assert.Equal(EndOffsets(topic, 8), Committed(settings.GroupId, topic, 8));

        // Outputs were emitted (idempotent producer) before the acks: one per input, per-key order.
        var outputs = ReadAll($"{topic}.out", 8, keys * perKey);
        Assert.Equal(keys * perKey, outputs.Count);
        foreach (var key in outputs.GroupBy(o => o.Message.Key))
        {
            var seqs = key.OrderBy(o => o.Offset.Value).Select(o => JsonDocument.Parse(o.Message.Value).RootElement.GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), seqs);
        }
    }

    [Fact]
    public async Task A_failing_record_is_retried_then_dead_lettered_while_its_key_and_partition_move_on()
    {
        var topic = NewTopic(2);
        Kafka.CreateTopic($"{topic}.out", 2);
        var records = new List<(string?, string)>();
        for (var seq = 1; seq <= 5; seq++)
        {
            records.Add(("poison", JsonSerializer.Serialize(new SeqValue(seq, Fail: seq == 2), Entities.EntityJson.Options)));
            for (var k = 0; k < 20; k++)
            {
                records.Add(($"ok-{k}", JsonSerializer.Serialize(new SeqValue(seq), Entities.EntityJson.Options)));
            }
        }

        Produce(topic, records);
        var settings = Settings("retry", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count(e => e.Seq > 0) >= 104), TimeSpan.FromSeconds(60));

        var dlq = ReadAll($"{topic}.dlq", 2, 1);
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        // The poison record: 3 attempts (max-attempts), then the DLQ; later records of the key in order.
        var poison = journal.Where(e => e.Key == "poison").ToList();
        Assert.Equal([(-2L, 1), (-2L, 2), (-2L, 3)], poison.Where(e => e.Seq < 0).Select(e => (e.Seq, e.Attempt)));
        Assert.Equal([1L, 3L, 4L, 5L], poison.Where(e => e.Seq > 0).Select(e => e.Seq));
        Assert.All(journal.Where(e => e.Key != "poison").GroupBy(e => e.Key), g => Assert.Equal([1L, 2L, 3L, 4L, 5L], g.Select(e => e.Seq)));

        // The dead letter: original key, value and the context headers.
        var letter = Assert.Single(dlq);
        Assert.Equal("poison", letter.Message.Key);
        Assert.Equal(2, JsonSerializer.Deserialize<SeqValue>(letter.Message.Value, Entities.EntityJson.Options)!.Seq);
        Assert.Equal(topic, Header(letter, "actorstream.dlq.original.topic"));
        var original = records.FindIndex(r => r.Item1 == "poison" && r.Item2.Contains("\"fail\":true"));
        Assert.Equal("handler", Header(letter, "actorstream.dlq.stage"));
        Assert.Equal("Seq", Header(letter, "actorstream.dlq.entity.type"));
        Assert.Equal("poison", Header(letter, "actorstream.dlq.entity.id"));
        Assert.Equal(settings.GroupId, Header(letter, "actorstream.dlq.consumer.group"));
        Assert.Equal("System.InvalidOperationException", Header(letter, "actorstream.dlq.exception.type"));
        Assert.Contains("boom on poison seq 2", Header(letter, "actorstream.dlq.exception.message"));
        Assert.Equal("3", Header(letter, "actorstream.dlq.attempts"));
        Assert.True(long.Parse(Header(letter, "actorstream.dlq.original.offset")) >= 0);
        Assert.True(original >= 0);

        // Everything, the dead-lettered record included, is committed.
        Assert.Equal(EndOffsets(topic, 2), Committed(settings.GroupId, topic, 2));
    }

    [Fact]
    public async Task A_value_that_cannot_be_decoded_goes_to_the_dlq_without_reaching_the_entity()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        Produce(topic, [
            ("a", JsonSerializer.Serialize(new SeqValue(1), Entities.EntityJson.Options)),
            ("a", "this is not json"),
            ("a", JsonSerializer.Serialize(new SeqValue(2), Entities.EntityJson.Options)),
        ]);
        var settings = Settings("decode", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= 2), TimeSpan.FromSeconds(30));
        var dlq = ReadAll($"{topic}.dlq", 1, 1);
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1L, 2L], journal.Select(e => e.Seq));
        var letter = Assert.Single(dlq);
        Assert.Equal("this is not json", System.Text.Encoding.UTF8.GetString(letter.Message.Value));
        Assert.Equal("deserialize", Header(letter, "actorstream.dlq.stage"));
        Assert.Equal("1", Header(letter, "actorstream.dlq.original.offset"));
        Assert.Contains("SeqValue", Header(letter, "actorstream.dlq.exception.message"));
        Assert.Equal(EndOffsets(topic, 1), Committed(settings.GroupId, topic, 1));
    }

    [Fact]
    public async Task Records_without_key_follow_the_null_key_policy()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);
        Produce(topic, [
            (null, JsonSerializer.Serialize(new SeqValue(1), Entities.EntityJson.Options)),
            ("", JsonSerializer.Serialize(new SeqValue(2), Entities.EntityJson.Options)),
        ]);

        // per-partition (default): one entity per partition, in partition order.
        var perPartition = Pipeline.Start(Sys, Settings("nullkey", topic, "Seq"));
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= 2), TimeSpan.FromSeconds(30));
        await perPartition.StopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([("__partition-0", 1L), ("__partition-0", 2L)], journal.Select(e => (e.Key, e.Seq)));

        // dead-letter: straight to the DLQ, never to an entity.
        var deadLetter = Pipeline.Start(Sys, Settings("nullkey-dlq", topic, "Seq").WithNullKeyPolicy(NullKeyPolicy.DeadLetter));
        var dlq = ReadAll($"{topic}.dlq", 1, 2);
        await deadLetter.StopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, dlq.Count);
        Assert.All(dlq, l => Assert.Contains("no key", Header(l, "actorstream.dlq.exception.message")));
        Assert.Equal(2, journal.Count);
    }
}
