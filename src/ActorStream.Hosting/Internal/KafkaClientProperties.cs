using ActorStream.Kafka.Settings;
using Config = Akka.Configuration.Config;

namespace ActorStream.Hosting.Internal;

/// <summary>Connection properties (bootstrap servers, security) for the node's and the CLI's auxiliary Kafka clients (DLQ reads, operator commands).</summary>
internal static class KafkaClientProperties
{
    public static Dictionary<string, string> For(Config config) =>
        ConsumerSettings<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore>.Create(KafkaDefaults.Section(config)).ToClientConfig()
            .Where(kv => kv.Key is "bootstrap.servers" || kv.Key.StartsWith("security.", StringComparison.Ordinal) || kv.Key.StartsWith("sasl.", StringComparison.Ordinal) || kv.Key.StartsWith("ssl.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
}
