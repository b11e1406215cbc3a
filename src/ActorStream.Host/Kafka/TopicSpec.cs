using System.Globalization;
using ActorStream.TestKit;

namespace ActorStream.Host.Kafka;

/// <summary>A topic to create: <c>name:partitions[:replicationFactor]</c>, e.g. <c>orders:3</c>.</summary>
internal sealed record TopicSpec(string Name, int Partitions, int ReplicationFactor)
{
    public const string Format = "name:partitions[:replicationFactor], e.g. orders:3";

    /// <summary>Parses a spec; on failure returns null and a message saying what is wrong and what is expected.</summary>
    public static TopicSpec? TryParse(string text, out string? error)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3)
        {
            error = $"'{text}' is not a topic spec; expected {Format}";
            return null;
        }

        var name = parts[0];
        var invalidName = EmbeddedKafka.CheckTopicName(name);
        if (invalidName is not null)
        {
            error = $"'{text}': {invalidName}; expected {Format}";
            return null;
        }

        if (!TryParseCount(parts[1], EmbeddedKafka.MaxPartitions, out var partitions))
        {
            error = $"'{text}' has partitions '{parts[1]}'; expected a whole number from 1 to {EmbeddedKafka.MaxPartitions} ({Format})";
            return null;
        }

        var replicationFactor = 1;
        if (parts.Length == 3 && !TryParseCount(parts[2], EmbeddedKafka.MaxBrokers, out replicationFactor))
        {
            error = $"'{text}' has replication factor '{parts[2]}'; expected a whole number from 1 to the broker count ({Format})";
            return null;
        }

        error = null;
        return new TopicSpec(name, partitions, replicationFactor);
    }

    private static bool TryParseCount(string text, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= max;

    public override string ToString() => $"{Name}:{Partitions}:{ReplicationFactor}";
}
