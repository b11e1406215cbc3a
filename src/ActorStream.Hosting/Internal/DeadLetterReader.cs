using ActorStream.Hosting.Internal.Configuration;
using Confluent.Kafka;

namespace ActorStream.Hosting.Internal;

/// <summary>Reads dead-letter topics without a consumer group (nothing is committed).</summary>
internal static class DeadLetterReader
{
    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from <paramref name="startOf"/> (the
    /// partition's offset range → first offset to read) to its current end.
    /// </summary>
    /// <exception cref="NodeConfigException">The topic does not exist.</exception>
    public static List<ConsumeResult<byte[]?, byte[]?>> Read(IReadOnlyDictionary<string, string> props, string topic, Func<long, long, long> startOf, TimeSpan? wait = null)
    {
        var config = new ConsumerConfig(props.ToDictionary(kv => kv.Key, kv => kv.Value)) { GroupId = $"actorstream-dlq-reader-{Guid.NewGuid():N}", EnableAutoCommit = false, EnablePartitionEof = true };
        using var admin = new AdminClientBuilder(props).SetLogHandler((_, _) => { }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(15)).Topics.Single();
        if (metadata.Error.Code != ErrorCode.NoError || metadata.Partitions.Count == 0)
        {
            throw new NodeConfigException($"--topic {topic}: the topic does not exist ({metadata.Error.Reason})");
        }

        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        var ranges = metadata.Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId))
            .ToDictionary(tp => tp.Partition.Value, tp => consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)));
        var starts = ranges.Where(r => r.Value.High > r.Value.Low)
            .ToDictionary(r => r.Key, r => Math.Clamp(startOf(r.Value.Low, r.Value.High), r.Value.Low, r.Value.High - 1));
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        if (starts.Count == 0)
        {
            return records;
        }

        consumer.Assign(starts.Select(s => new TopicPartitionOffset(topic, s.Key, s.Value)));
        var done = new HashSet<int>();
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(60));
        while (done.Count < starts.Count && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null)
            {
                continue;
            }

            if (r.IsPartitionEOF || r.Offset.Value >= ranges[r.Partition.Value].High - 1)
            {
                done.Add(r.Partition.Value);
            }

            if (!r.IsPartitionEOF)
            {
                records.Add(r);
            }
        }

        return records;
    }
}
