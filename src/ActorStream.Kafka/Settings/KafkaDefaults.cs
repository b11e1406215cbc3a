using Akka.Actor;
using Akka.Configuration;

namespace ActorStream.Kafka.Settings;

/// <summary>
/// Access to the connector's embedded <c>reference.conf</c> (the defaults of every
/// <c>actorstream.kafka.*</c> key) and to the effective section of an actor system.
/// </summary>
public static class KafkaDefaults
{
    /// <summary>Root path of the connector's configuration.</summary>
    public const string ConfigPath = "actorstream.kafka";

    /// <summary>Environment variable that supplies the bootstrap servers.</summary>
    public const string BootstrapServersEnvironmentVariable = "KAFKA_BOOTSTRAP_SERVERS";

    private static readonly Lazy<string> ReferenceText = new(LoadReference);

    /// <summary>
    /// The embedded <c>reference.conf</c>, with <c>${?KAFKA_BOOTSTRAP_SERVERS}</c> resolved. A new
    /// instance per call: Akka's Config must not meet the same instance twice in a fallback chain.
    /// </summary>
    public static Config ReferenceConfig => ConfigurationFactory.ParseString(ReferenceText.Value);

    /// <summary>The value of <c>bootstrap-servers</c> that asks a node for an in-process broker (ActorStream.Hosting starts it and writes its address into the configuration).</summary>
    public const string EmbeddedBootstrapServers = "embedded";

    /// <summary>
    /// <paramref name="kafkaSection"/> (an <c>actorstream.kafka</c> section) with the reference
    /// defaults of that section as fallback, and <c>KAFKA_BOOTSTRAP_SERVERS</c> applied when set —
    /// except when it is <c>embedded</c>: that is no address but a request the node resolved, and the
    /// broker's address is then in the configuration.
    /// </summary>
    internal static Config WithReferenceFallback(Config kafkaSection)
    {
        var merged = kafkaSection.WithFallback(ReferenceConfig.GetConfig(ConfigPath));
        var fromEnvironment = Environment.GetEnvironmentVariable(BootstrapServersEnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) || fromEnvironment.Trim().Equals(EmbeddedBootstrapServers, StringComparison.OrdinalIgnoreCase)
            ? merged
            : ConfigurationFactory.ParseString($"bootstrap-servers = \"{fromEnvironment.Trim().Replace("\"", "", StringComparison.Ordinal)}\"").WithFallback(merged);
    }

    /// <summary>
    /// The effective <c>actorstream.kafka</c> section: <paramref name="config"/> with the
    /// reference defaults as fallback.
    /// </summary>
    public static Config Section(Config config) =>
        config.WithFallback(ReferenceConfig).GetConfig(ConfigPath);

    /// <summary>The effective <c>actorstream.kafka</c> section of <paramref name="system"/>.</summary>
    public static Config Section(ActorSystem system) => Section(system.Settings.Config);

    private static string LoadReference()
    {
        var assembly = typeof(KafkaDefaults).Assembly;
        using var stream = assembly.GetManifestResourceStream("ActorStream.Kafka.reference.conf")
            ?? throw new InvalidOperationException("ActorStream.Kafka.reference.conf is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
