using ActorStream.Kafka.Settings;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Early validation of the librdkafka properties users set most often, so that a typo is
/// reported with the configuration key and the allowed values when the settings are built,
/// not later as a raw client error on the consumer thread.
/// Properties not listed here are validated by librdkafka itself when the client is created;
/// <see cref="BuildClient{T}"/> turns that error into a keyed one too.
/// </summary>
internal static class LibrdkafkaProperties
{
    private static readonly Dictionary<string, string[]> EnumProperties = new(StringComparer.Ordinal)
    {
        ["auto.offset.reset"] = ["smallest", "earliest", "beginning", "largest", "latest", "end", "error"],
        ["acks"] = ["all", "-1", "0", "1"],
        ["request.required.acks"] = ["all", "-1", "0", "1"],
        ["partitioner"] = ["random", "consistent", "consistent_random", "murmur2", "murmur2_random", "fnv1a", "fnv1a_random"],
        ["isolation.level"] = ["read_uncommitted", "read_committed"],
        ["compression.type"] = ["none", "gzip", "snappy", "lz4", "zstd"],
        ["compression.codec"] = ["none", "gzip", "snappy", "lz4", "zstd"],
        ["security.protocol"] = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"],
        ["group.protocol"] = ["classic", "consumer"],
        ["client.dns.lookup"] = ["use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"],
    };

    private static readonly string[] AssignmentStrategies = ["range", "roundrobin", "cooperative-sticky"];

    private static readonly HashSet<string> BooleanProperties = new(StringComparer.Ordinal)
    {
        "enable.idempotence", "enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof",
        "check.crcs", "allow.auto.create.topics", "enable.gapless.guarantee", "socket.keepalive.enable",
    };

    public static void Validate(IReadOnlyDictionary<string, string> properties, string propertiesKey)
    {
        foreach (var (name, value) in properties)
        {
            var key = $"{propertiesKey}.\"{name}\"";
            if (EnumProperties.TryGetValue(name, out var allowed))
            {
                if (!allowed.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase))
                {
                    throw new KafkaConfigurationException(key, $"unknown value '{value}'; allowed values: {string.Join(", ", allowed)}");
                }
            }
            else if (name == "partition.assignment.strategy")
            {
                var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var bad = parts.FirstOrDefault(p => !AssignmentStrategies.Contains(p, StringComparer.OrdinalIgnoreCase));
                if (parts.Length == 0 || bad is not null)
                {
                    throw new KafkaConfigurationException(key,
                        $"unknown value '{bad ?? value}'; allowed values (comma-separated): {string.Join(", ", AssignmentStrategies)}");
                }
            }
            else if (BooleanProperties.Contains(name))
            {
                if (!bool.TryParse(value, out _))
                {
                    throw new KafkaConfigurationException(key, $"must be true or false, got '{value}'");
                }
            }
        }
    }

    /// <summary>
    /// Builds a Confluent client and turns librdkafka's rejection of a property (which names the
    /// property but not our configuration key) into a <see cref="KafkaConfigurationException"/>
    /// against the properties block.
    /// </summary>
    public static T BuildClient<T>(Func<T> build, string propertiesKey)
    {
        try
        {
            return build();
        }
        catch (Exception ex) when (ex is Confluent.Kafka.KafkaException or ArgumentException or InvalidOperationException)
        {
            throw new KafkaConfigurationException(propertiesKey, $"rejected by librdkafka: {ex.Message}", ex);
        }
    }
}
