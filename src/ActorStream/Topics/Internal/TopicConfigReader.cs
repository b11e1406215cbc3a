using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorStream.Topics.Internal;

/// <summary>Reads <c>actorstream.topic-defaults</c> and <c>actorstream.topics.*</c> with errors that name the key.</summary>
internal static class TopicConfigReader
{
    private static readonly string[] TopicKeys = ["partitions", "replication-factor", "retention", "cleanup-policy", "min-insync-replicas", "keyed", "configs"];
    private static readonly string[] CleanupPolicies = ["delete", "compact", "compact,delete"];

    public sealed record Defaults(TopicSettings Topic, TimeSpan? DlqRetention);

    public static Defaults ReadDefaults(Config full)
    {
        var section = Object(full, TopicDeclarations.DefaultsPath);
        var topic = ReadTopic(TopicDeclarations.DefaultsPath, "", section, null, ["dlq-retention"]);
        var dlqRetention = Retention(TopicDeclarations.DefaultsPath + ".dlq-retention", section.GetValue("dlq-retention"));
        return new Defaults(topic, dlqRetention);
    }

    public static IEnumerable<TopicSettings> ReadTopics(Config full, Defaults defaults)
    {
        var topics = full.GetValue(TopicDeclarations.TopicsPath);
        if (topics is null || !topics.IsObject())
        {
            throw new TopicConfigurationException(TopicDeclarations.TopicsPath, "must be an object of topic blocks, e.g. actorstream.topics.accounts { partitions = 8 }");
        }

        foreach (var (name, block) in topics.GetObject().Items)
        {
            var path = $"{TopicDeclarations.TopicsPath}.{Quote(name)}";
            if (TopicNameProblem(name) is { } problem)
            {
                throw new TopicConfigurationException(path, problem);
            }

            if (block is null || !block.IsObject())
            {
                throw new TopicConfigurationException(path, "must be a topic block, e.g. { partitions = 8, retention = 7d }");
            }

            yield return ReadTopic(path, name, new Config(new HoconRoot(block)), defaults.Topic, []);
        }
    }

    private static TopicSettings ReadTopic(string path, string name, Config block, TopicSettings? fallback, string[] extraKeys)
    {
        foreach (var key in block.Root.GetObject().Items.Keys)
        {
            if (!TopicKeys.Contains(key) && !extraKeys.Contains(key))
            {
                throw new TopicConfigurationException($"{path}.{key}",
                    $"unknown key; known keys: {string.Join(", ", TopicKeys.Concat(extraKeys))} (broker configs go under configs {{ \"max.message.bytes\" = ... }})");
            }
        }

        var partitions = Int(path + ".partitions", block.GetValue("partitions"), fallback?.Partitions, min: 1);
        var replication = Int(path + ".replication-factor", block.GetValue("replication-factor"), fallback?.ReplicationFactor, min: -1);
        if (replication == 0)
        {
            throw new TopicConfigurationException(path + ".replication-factor", "must be >= 1, or -1 for the broker's default; got 0");
        }

        var retentionValue = block.GetValue("retention");
        var retention = retentionValue is null && fallback is not null ? fallback.Retention : Retention(path + ".retention", retentionValue);
        var cleanup = String(path + ".cleanup-policy", block.GetValue("cleanup-policy"), fallback?.CleanupPolicy)?.Replace(" ", "", StringComparison.Ordinal);
        if (cleanup is null || !CleanupPolicies.Contains(cleanup))
        {
            throw new TopicConfigurationException(path + ".cleanup-policy", $"unknown value '{cleanup}'; allowed values: {string.Join(", ", CleanupPolicies)}");
        }

        var minIsrValue = block.GetValue("min-insync-replicas");
        var minIsr = minIsrValue is null
            ? fallback?.MinInsyncReplicas
            : minIsrValue.GetString() is "default" ? null : Int(path + ".min-insync-replicas", minIsrValue, null, min: 1);
        if (minIsr is { } m && replication > 0 && m > replication)
        {
            throw new TopicConfigurationException(path + ".min-insync-replicas",
                $"{m} exceeds replication-factor {replication}: every acks=all write would fail with NOT_ENOUGH_REPLICAS");
        }

        var keyedValue = block.GetValue("keyed");
        var keyed = keyedValue is null ? fallback?.Keyed ?? true : Bool(path + ".keyed", keyedValue);

        var configs = new Dictionary<string, string>(fallback?.Configs ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var configsValue = block.GetValue("configs");
        if (configsValue is not null)
        {
            if (!configsValue.IsObject())
            {
                throw new TopicConfigurationException(path + ".configs", "must be an object of broker configs, e.g. configs { \"max.message.bytes\" = \"2097152\" }");
            }

            foreach (var (key, value) in configsValue.GetObject().Items)
            {
                if (value is null || !value.IsString())
                {
                    throw new TopicConfigurationException($"{path}.configs.{Quote(key)}", "must be a string or number");
                }

                configs[key] = value.GetString();
            }
        }

        return new TopicSettings(name, partitions!.Value, replication!.Value, retention, cleanup, minIsr, keyed, configs, TopicOrigin.Declared);
    }

    private static Config Object(Config full, string path)
    {
        var value = full.GetValue(path);
        if (value is null || !value.IsObject())
        {
            throw new TopicConfigurationException(path, "must be an object with the default topic keys");
        }

        return new Config(new HoconRoot(value));
    }

    private static int? Int(string path, HoconValue? value, int? fallback, int min)
    {
        if (value is null)
        {
            return fallback ?? throw new TopicConfigurationException(path, "is required");
        }

        if (!int.TryParse(value.IsString() ? value.GetString() : null, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result) || result < min)
        {
            throw new TopicConfigurationException(path, $"must be a whole number >= {min}; got '{(value.IsString() ? value.GetString() : "an object or list")}'");
        }

        return result;
    }

    private static string? String(string path, HoconValue? value, string? fallback) =>
        value is null ? fallback : value.IsString() ? value.GetString() : throw new TopicConfigurationException(path, "must be a string");

    private static bool Bool(string path, HoconValue value)
    {
        var raw = value.IsString() ? value.GetString() : "";
        return raw switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new TopicConfigurationException(path, $"must be on or off; got '{raw}'"),
        };
    }

    /// <summary>A duration (<c>7d</c>, <c>12h</c>), or <c>infinite</c> (never deleted: retention.ms = -1).</summary>
    private static TimeSpan? Retention(string path, HoconValue? value)
    {
        if (value is null)
        {
            throw new TopicConfigurationException(path, "is required: a duration such as 7d or 12h, or infinite");
        }

        var raw = value.IsString() ? value.GetString() : "";
        if (raw is "infinite" or "forever")
        {
            return null;
        }

        TimeSpan parsed;
        try
        {
            parsed = value.GetTimeSpan();
        }
        catch (Exception)
        {
            throw new TopicConfigurationException(path, $"must be a duration such as 7d or 12h, or infinite; got '{raw}'");
        }

        return parsed > TimeSpan.Zero ? parsed : throw new TopicConfigurationException(path, $"must be > 0 (or infinite); got '{raw}'");
    }

    private static string? TopicNameProblem(string name)
    {
        if (name.Length is 0 or > 249)
        {
            return "a topic name has 1 to 249 characters";
        }

        if (name is "." or "..")
        {
            return "'.' and '..' are not valid topic names";
        }

        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            ? null
            : $"'{name}' is not a valid topic name: use ASCII letters, digits, '.', '_' and '-'";
    }

    private static string Quote(string key) => key.Contains('.', StringComparison.Ordinal) ? $"\"{key}\"" : key;
}
