using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ActorStream.Kafka.Tests;

/// <summary>
/// Records deleted (retention, simulated by truncating the partition through the embedded broker)
/// while a running consumer is still behind them: librdkafka, with auto.offset.reset = error,
/// reports the out-of-range fetch position and the consumer's policy decides, as at assignment.
/// </summary>
/// <remarks>
/// How the situation is made: the consumer has a 10-record buffer per partition and the test
/// sink asks for 5 records only, so the consumer pauses both partitions a few records in. librdkafka
/// drops what it prefetched when a partition is paused and fetches again from the consumer's
/// position on resume, so after the truncation that fetch is out of range.
/// </remarks>
public class FetchOutOfRangeTests : KafkaSpec
{
    private const int Truncated = 0;
    private const int Untouched = 1;

    public FetchOutOfRangeTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Theory]
    [InlineData("cooperative-sticky")]
    [InlineData("range")]
    public async Task Earliest_continues_at_the_new_log_start_and_announces_how_many_offsets_were_skipped(string assignmentStrategy)
    {
        var (topic, probe, control, events) = StartBehind(OffsetOutOfRangePolicy.Earliest, assignmentStrategy);

        var received = await ReceiveAsync(probe, r => r[Truncated].LastOrDefault() == 109 && r[Untouched].LastOrDefault() == 29);

        var skipped = await events.ExpectMsgAsync<OffsetsSkipped>(TimeSpan.FromSeconds(10));
        var position = skipped.Committed;
        Assert.Equal((topic, Truncated, OutOfRangeDetection.Fetch, 50L, 110L, (long?)50L, 50 - position, OffsetOutOfRangePolicy.Earliest),
            (skipped.Partition.Topic, skipped.Partition.Partition.Value, skipped.DetectedAt, skipped.LogStart, skipped.LogEnd, skipped.ResumedAt, skipped.Skipped, skipped.Policy));
        Assert.InRange(position, 1, 49);

        // Everything before the fetch position, then everything from the new log start: no gap, no repeat.
        Assert.Equal(Range(0, position).Concat(Range(50, 110)), received[Truncated]);
        // The other partition was not disturbed by the re-assignment.
        Assert.Equal(Range(0, 30), received[Untouched]);
        await events.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await control.Shutdown().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Latest_continues_at_the_log_end()
    {
        var (topic, probe, control, events) = StartBehind(OffsetOutOfRangePolicy.Latest, "cooperative-sticky");

        var skipped = await events.ExpectMsgAsync<OffsetsSkipped>(TimeSpan.FromSeconds(30));
        Assert.Equal((OutOfRangeDetection.Fetch, 50L, 110L, (long?)110L, 110 - skipped.Committed),
            (skipped.DetectedAt, skipped.LogStart, skipped.LogEnd, skipped.ResumedAt, skipped.Skipped));
        ProduceTo(topic, Truncated, 5, start: 110);

        var received = await ReceiveAsync(probe, r => r[Truncated].LastOrDefault() == 114 && r[Untouched].LastOrDefault() == 29);
        Assert.Equal(Range(0, skipped.Committed).Concat(Range(110, 115)), received[Truncated]);
        await control.Shutdown().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Fail_stops_the_source_with_an_error_naming_the_fetch_position_and_the_lost_records()
    {
        var (topic, probe, control, events) = StartBehind(OffsetOutOfRangePolicy.Fail, "cooperative-sticky");

        var error = await ExpectErrorAsync(probe);
        var failure = Assert.IsType<OffsetOutOfRangeException>(error);
        Assert.Equal((OutOfRangeDetection.Fetch, 50L, 110L), (failure.DetectedAt, failure.LogStart, failure.LogEnd));
        Assert.Contains($"fetch position {failure.Committed} of {topic}[0] is outside its log [50, 110): {50 - failure.Committed} record(s) were deleted (retention)", failure.Message);
        var skipped = await events.ExpectMsgAsync<OffsetsSkipped>(TimeSpan.FromSeconds(10));
        Assert.Equal((failure.Committed, (long?)null, 50 - failure.Committed), (skipped.Committed, skipped.ResumedAt, skipped.Skipped));
        await control.Shutdown().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// A consumer (new group, so it starts at the beginning) reads a few records of partitions 0
    /// (100 records) and 1 (30 records) and pauses; then 10 more are produced to partition 0, it
    /// loses its records before 50, and the sink asks for everything.
    /// </summary>
    private (string Topic, TestSubscriber.Probe<ConsumeResult<string, string>> Probe, IConsumerControl Control, Akka.TestKit.TestProbe Events) StartBehind(
        OffsetOutOfRangePolicy policy, string assignmentStrategy)
    {
        var topic = NewTopic(2);
        ProduceTo(topic, Truncated, 100);
        ProduceTo(topic, Untouched, 30);
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(OffsetsSkipped));

        var settings = ConsumerSettings($"g-{Guid.NewGuid():N}")
            .WithOffsetOutOfRange(policy)
            .WithMaxBufferedPerPartition(10)
            .WithProperty("partition.assignment.strategy", assignmentStrategy);
        var (control, probe) = KafkaConsumer.PlainSource(settings, Subscriptions.Topics(topic))
            .ToMaterialized(this.SinkProbe<ConsumeResult<string, string>>(), Keep.Both)
            .Run(Materializer);

        probe.Request(5);
        for (var i = 0; i < 5; i++)
        {
            var first = probe.ExpectNext(TimeSpan.FromSeconds(30));
            _firstFive.Add((first.Partition.Value, first.Offset.Value));
        }

        // No new offsets were committed or published: a new group starts at the beginning, in range.
        events.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        // The 10 new records go in first: the consumer may fetch (and find its position out of range)
        // as soon as the records are deleted, and the log end it reports must not depend on that race.
        ProduceTo(topic, Truncated, 10, start: 100);
        Kafka.DeleteRecords(topic, Truncated, 50);
        probe.Request(10_000);
        return (topic, probe, control, events);
    }

    /// <summary>Offsets received per partition (including the 5 read before the truncation) until <paramref name="done"/>.</summary>
    private async Task<Dictionary<int, List<long>>> ReceiveAsync(TestSubscriber.Probe<ConsumeResult<string, string>> probe, Func<Dictionary<int, List<long>>, bool> done)
    {
        var received = new Dictionary<int, List<long>> { [Truncated] = [], [Untouched] = [] };
        foreach (var offset in _firstFive)
        {
            received[offset.Partition].Add(offset.Offset);
        }

        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (!done(received))
        {
            Assert.True(DateTime.UtcNow < deadline, $"not all records arrived: partition 0 [{string.Join(",", received[Truncated])}], partition 1 [{string.Join(",", received[Untouched])}]");
            var record = await probe.ExpectNextAsync(TimeSpan.FromSeconds(30));
            received[record.Partition.Value].Add(record.Offset.Value);
        }

        foreach (var list in received.Values)
        {
            list.Sort();
        }

        return received;
    }

    private static async Task<Exception> ExpectErrorAsync(TestSubscriber.Probe<ConsumeResult<string, string>> probe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (DateTime.UtcNow < deadline)
        {
            switch (await probe.ExpectEventAsync(TimeSpan.FromSeconds(30)))
            {
                case TestSubscriber.OnError error:
                    return error.Cause;
                case TestSubscriber.OnComplete:
                    Assert.Fail("the source completed instead of failing");
                    break;
            }
        }

        throw new TimeoutException("the source did not fail");
    }

    private readonly List<(int Partition, long Offset)> _firstFive = [];

    private static IEnumerable<long> Range(long from, long toExclusive)
    {
        for (var i = from; i < toExclusive; i++)
        {
            yield return i;
        }
    }

    private void ProduceTo(string topic, int partition, int count, int start = 0)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = Kafka.BootstrapServers, EnableIdempotence = true, Acks = Acks.All }).Build();
        for (var i = start; i < start + count; i++)
        {
            producer.Produce(new TopicPartition(topic, partition), new Message<string, string> { Key = $"key-{i}", Value = i.ToString() });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }
}
