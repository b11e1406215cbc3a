using ActorStream.Kafka.Settings;
using ActorStream.Pipelines.Settings;
using Confluent.Kafka;

namespace ActorStream.Monitoring.Internal;

/// <summary>
/// Reads a pipeline group's committed offsets and the high watermarks of every partition of its
/// topics (and its dead-letter topic's end offsets) with a consumer that never subscribes, so it
/// never joins the group. Blocking: call it off the actor threads.
/// </summary>
internal sealed class LagReader : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly PipelineSettings _pipeline;
    private readonly IConsumer<Ignore, Ignore> _consumer;
    private readonly IAdminClient _admin;

    public LagReader(PipelineSettings pipeline, IReadOnlyDictionary<string, string> clientConfig)
    {
        _pipeline = pipeline;
        var config = clientConfig
            .Where(kv => kv.Key is "bootstrap.servers" || kv.Key.StartsWith("security.", StringComparison.Ordinal) || kv.Key.StartsWith("sasl.", StringComparison.Ordinal) || kv.Key.StartsWith("ssl.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        _admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        config["group.id"] = pipeline.GroupId;
        config["enable.auto.commit"] = "false";
        config["client.id"] = $"actorstream-lag-{pipeline.Name}";
        _consumer = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler((_, _) => { }).Build();
    }

    public static LagReader Create(PipelineSettings pipeline, Akka.Configuration.Config config) =>
        new(pipeline, ConsumerSettings<Ignore, Ignore>.Create(KafkaDefaults.Section(config)).ToClientConfig());

    public (IReadOnlyList<PartitionOffsets> Offsets, long DeadLetterEnd) Read()
    {
        var metadata = _admin.GetMetadata(Timeout);
        var partitions = metadata.Topics
            .Where(t => _pipeline.Topics.Contains(t.Topic) && t.Error.Code == ErrorCode.NoError)
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
            .ToList();
        var committed = partitions.Count == 0
            ? []
            : _consumer.Committed(partitions, Timeout).ToDictionary(c => c.TopicPartition, c => c.Offset);
        var result = new List<PartitionOffsets>(partitions.Count);
        foreach (var tp in partitions)
        {
            var watermarks = _consumer.QueryWatermarkOffsets(tp, Timeout);
            var at = committed.TryGetValue(tp, out var offset) && offset.Value >= 0 ? offset.Value : watermarks.Low.Value;
            result.Add(new PartitionOffsets(tp.Topic, tp.Partition.Value, at, watermarks.High.Value));
        }

        var dlqEnd = 0L;
        var dlq = metadata.Topics.FirstOrDefault(t => t.Topic == _pipeline.DlqTopic && t.Error.Code == ErrorCode.NoError);
        foreach (var p in dlq?.Partitions ?? [])
        {
            dlqEnd += _consumer.QueryWatermarkOffsets(new TopicPartition(_pipeline.DlqTopic, p.PartitionId), Timeout).High.Value;
        }

        return (result, dlqEnd);
    }

    public void Dispose()
    {
        _consumer.Dispose();
        _admin.Dispose();
    }
}
