using Confluent.Kafka;

namespace ActorStream.Host.Sample;

/// <summary>
/// A consumer group's lag on a topic: high watermark minus committed offset, per partition, read
/// from the brokers (so it covers every partition of the group, not only this process's).
/// </summary>
internal sealed class GroupLag : IDisposable
{
    private readonly IConsumer<Ignore, Ignore> _consumer;
    private readonly string _topic;
    private readonly int _partitions;

    public GroupLag(string bootstrapServers, string groupId, string topic, int partitions)
    {
        // Never subscribes: it only reads the group's committed offsets and the watermarks.
        _consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        _topic = topic;
        _partitions = partitions;
    }

    /// <summary>Total lag and committed records; blocking broker round trips.</summary>
    public (long Lag, long Committed) Read(TimeSpan timeout)
    {
        var tps = Enumerable.Range(0, _partitions).Select(p => new TopicPartition(_topic, p)).ToList();
        var committed = _consumer.Committed(tps, timeout).ToDictionary(c => c.Partition.Value, c => Math.Max(0, c.Offset.Value));
        long lag = 0;
        long total = 0;
        foreach (var tp in tps)
        {
            var high = _consumer.QueryWatermarkOffsets(tp, timeout).High.Value;
            var done = committed.GetValueOrDefault(tp.Partition.Value);
            lag += Math.Max(0, high - done);
            total += done;
        }

        return (lag, total);
    }

    /// <summary>Records in <paramref name="topic"/> (sum of high watermarks; the topic is never truncated in dev).</summary>
    public long Records(string topic, TimeSpan timeout) =>
        Enumerable.Range(0, _partitions).Sum(p => _consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), timeout).High.Value);

    public void Dispose() => _consumer.Dispose();
}
