using System.Text;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Monitoring;
using Confluent.Kafka;

namespace ActorStream.Hosting.Internal.Http;

/// <summary>The dashboard's dead-letter view: count per pipeline and the newest dead letters (briefly cached).</summary>
internal sealed class DeadLetterSummary(ActorStreamNode node, PipelineMonitoring monitoring)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);
    private readonly object _gate = new();
    private (DateTime At, int Limit, object Value)? _cache;

    public object Read(int limit)
    {
        lock (_gate)
        {
            if (_cache is { } c && c.Limit == limit && DateTime.UtcNow - c.At < CacheFor)
            {
                return c.Value;
            }

            var props = KafkaClientProperties.For(node.System.Settings.Config);
            var value = node.RunningPipelines.Select(p =>
            {
                var lag = monitoring.Lag.FirstOrDefault(l => l.Pipeline == p.Settings.Name);
                List<ConsumeResult<byte[]?, byte[]?>> records;
                string? problem = null;
                try
                {
                    records = DeadLetterReader.Read(props, p.Settings.DlqTopic, (low, high) => Math.Max(low, high - limit), TimeSpan.FromSeconds(5));
                }
                catch (Exception ex) when (ex is KafkaException or NodeConfigException)
                {
                    records = [];
                    problem = ex.Message;
                }

                return new
                {
                    pipeline = p.Settings.Name,
                    topic = p.Settings.DlqTopic,
                    count = lag?.DeadLetters ?? records.Count,
                    problem,
                    records = records.OrderByDescending(r => r.Message.Timestamp.UnixTimestampMs).Take(limit).Select(r => new
                    {
                        partition = r.Partition.Value,
                        offset = r.Offset.Value,
                        key = r.Message.Key is null ? null : Encoding.UTF8.GetString(r.Message.Key),
                        original_topic = Header(r, "original.topic"),
                        original_partition = Header(r, "original.partition"),
                        original_offset = Header(r, "original.offset"),
                        stage = Header(r, "stage"),
                        exception_type = Header(r, "exception.type"),
                        exception_message = Header(r, "exception.message"),
                        failed_at = Header(r, "failed.at"),
                    }).ToList(),
                };
            }).ToList();
            _cache = (DateTime.UtcNow, limit, value);
            return value;
        }
    }

    private static string Header(ConsumeResult<byte[]?, byte[]?> r, string name) =>
        r.Message.Headers is { } h && h.TryGetLastBytes("actorstream.dlq." + name, out var bytes) ? Encoding.UTF8.GetString(bytes) : "";
}
