namespace ActorStream.Kafka.Settings;

/// <summary>
/// Thrown when ActorStream.Kafka configuration is missing or invalid. <see cref="Key"/> names the
/// offending configuration path (e.g. <c>actorstream.kafka.committer.max-batch</c>) so that the
/// message can be acted upon without reading source code.
/// </summary>
public sealed class KafkaConfigurationException : Exception
{
    /// <summary>Creates the exception for the configuration path <paramref name="key"/>.</summary>
    /// <param name="key">Full configuration path of the offending setting.</param>
    /// <param name="message">What is wrong and what is allowed; the key is prefixed automatically.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public KafkaConfigurationException(string key, string message, Exception? inner = null)
        : base($"{key}: {message}", inner)
    {
        Key = key;
    }

    /// <summary>Full configuration path of the setting that is missing or invalid.</summary>
    public string Key { get; }
}
