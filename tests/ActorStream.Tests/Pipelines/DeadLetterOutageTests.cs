using System.Text;
using System.Text.Json;
using ActorStream.Internal.DeadLetters;
using ActorStream.Internal.Protocol;
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

    [Fact]
    public async Task A_poison_record_at_the_size_limit_is_dead_lettered_cut_to_fit_and_its_partition_moves_on()
    {
        var topic = NewTopic(1);
        Kafka.CreateTopic($"{topic}.out", 1);

        // 999,900 bytes: fits the producer's message.max.bytes (1,000,000) as a record, but not with
        // the dead-letter headers added.
        const string head = "{\"seq\":1,\"fail\":true,\"pad\":\"";
        var big = head + new string('x', 999_900 - head.Length - 2) + "\"}";
        Assert.Equal(999_900, Encoding.UTF8.GetByteCount(big));
        Produce(topic, [("big", big), ("big", JsonSerializer.Serialize(new SeqValue(2), Entities.EntityJson.Options)), ("other", JsonSerializer.Serialize(new SeqValue(1), Entities.EntityJson.Options))]);

        var settings = Settings("dlq-big", topic, "Seq");
        var pipeline = Pipeline.Start(Sys, settings);
        var journal = Journal.For(topic);
        await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 1).GetValueOrDefault(0) == 3), TimeSpan.FromSeconds(60));
        await pipeline.StopAsync(TimeSpan.FromSeconds(30));

        // Exactly one dead letter, its value cut to a prefix and marked, with the original's size and hash.
        var letter = Assert.Single(ReadToEnd($"{topic}.dlq", 1));
        var original = Encoding.UTF8.GetBytes(big);
        Assert.Equal("0", Header(letter, "actorstream.dlq.original.offset"));
        Assert.Equal("handler", Header(letter, "actorstream.dlq.stage"));
        Assert.Equal("true", Header(letter, "actorstream.dlq.value.truncated"));
        Assert.Equal("999900", Header(letter, "actorstream.dlq.value.original.size"));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)), Header(letter, "actorstream.dlq.value.sha256"));
        Assert.InRange(letter.Message.Value.Length, 990_000, 999_899);
        Assert.Equal(original.AsSpan(0, letter.Message.Value.Length).ToArray(), letter.Message.Value);
        Assert.Equal("big", letter.Message.Key);

        // The records behind it were processed.
        Assert.Contains(journal, e => e.Key == "big" && e.Seq == 2);
        Assert.Contains(journal, e => e.Key == "other" && e.Seq == 1);
    }

    [Fact]
    public async Task The_dlq_writer_writes_one_dead_letter_however_often_it_is_asked_while_it_is_in_flight()
    {
        var topic = NewTopic(1, withDlq: false);
        var producer = ProducerSettings<byte[], byte[]>.Create(Sys);
        var writer = Sys.ActorOf(DeadLetterWriter.Props($"{topic}.dlq", "g", producer.CreateRenewableProducer(), producer.MaxMessageBytes,
            TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200)));
        var record = new Entities.KafkaRecord(topic, 0, 7, "k", Encoding.UTF8.GetBytes("bad"), [], DateTimeOffset.UtcNow);
        var first = CreateTestProbe();
        var second = CreateTestProbe();

        // The DLQ topic is missing: every attempt fails; the record is asked for again and again.
        for (var i = 0; i < 5; i++)
        {
            writer.Tell(new WriteDeadLetter(record, "deserialize", "Seq", "k", "X", "bad", 1, i % 2 == 0 ? first.Ref : second.Ref), Akka.Actor.ActorRefs.NoSender);
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }

        Kafka.CreateTopic($"{topic}.dlq", 1);
        first.ExpectMsg<DeadLetterWritten>(TimeSpan.FromSeconds(30));
        second.ExpectMsg<DeadLetterWritten>(TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromSeconds(1));
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Sys.Stop(writer);

        var letter = Assert.Single(ReadToEnd($"{topic}.dlq", 1));
        Assert.Equal("7", Header(letter, "actorstream.dlq.original.offset"));
    }
}
