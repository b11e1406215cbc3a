using System.Diagnostics;
using Confluent.Kafka;

namespace ActorStream.TestKit.Tests;

/// <summary>Confluent.Kafka clients against an <see cref="EmbeddedKafka"/>, with bounded waits.</summary>
internal static class TestClients
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    public static IProducer<string, string> Producer(EmbeddedKafka kafka, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 2,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            RetryBackoffMs = 50,
            RetryBackoffMaxMs = 500,
            AllowAutoCreateTopics = false,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<string, string>(config).Build();
    }

    public static IConsumer<string, string> Consumer(EmbeddedKafka kafka, string groupId, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            AllowAutoCreateTopics = false,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
        };
        configure?.Invoke(config);
        return new ConsumerBuilder<string, string>(config).Build();
    }

    public static IAdminClient Admin(EmbeddedKafka kafka) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();

    /// <summary>Consumes until <paramref name="count"/> records arrived; fails after the timeout.</summary>
    public static List<ConsumeResult<string, string>> ConsumeExactly(
        IConsumer<string, string> consumer, int count, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        var results = new List<ConsumeResult<string, string>>();
        while (results.Count < count)
        {
            var remaining = limit - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException(
                    $"Consumed {results.Count} of {count} records within {limit}: "
                    + string.Join(", ", results.Select(r => $"{r.Message.Key}={r.Message.Value}@{r.Offset}")));
            }

            var result = consumer.Consume(remaining < TimeSpan.FromMilliseconds(200) ? remaining : TimeSpan.FromMilliseconds(200));
            if (result is { IsPartitionEOF: false })
            {
                results.Add(result);
            }
        }

        return results;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit} waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    public static TopicMetadata TopicMetadata(IAdminClient admin, string topic)
    {
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        return metadata.Topics.Single(t => t.Topic == topic);
    }
}
