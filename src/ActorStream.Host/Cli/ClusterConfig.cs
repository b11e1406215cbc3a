using System.CommandLine;
using ActorStream.Hosting.Internal;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Kafka.Settings;
using Akka.Configuration;

namespace ActorStream.Host.Cli;

/// <summary>
/// Configuration for operator commands that talk to a running Kafka cluster (<c>topics</c>,
/// <c>lag</c>, <c>dlq</c>): <c>--config</c>/<c>--set</c> like <c>run</c>, with the bootstrap servers
/// resolved (environment first) and <c>embedded</c> refused, since that broker only lives inside
/// <c>run</c>/<c>dev</c>.
/// </summary>
internal static class ClusterConfig
{
    public static Option<string?> ConfigOption() =>
        new("--config") { Description = "HOCON configuration with the pipelines (see hocon/sample.conf)." };

    public static Option<string[]> SetOption() =>
        new("--set") { Description = "Override one configuration key, repeatable: --set actorstream.kafka.bootstrap-servers=localhost:9092", Arity = ArgumentArity.ZeroOrMore, DefaultValueFactory = _ => [] };

    /// <exception cref="NodeConfigException">The configuration is invalid or points at the embedded broker.</exception>
    public static Config Load(string? configFile, IReadOnlyList<string> overrides)
    {
        var config = NodeConfig.Load(configFile, overrides);
        var bootstrap = NodeConfig.BootstrapServers(config);
        if (bootstrap.Equals("embedded", StringComparison.OrdinalIgnoreCase))
        {
            throw new NodeConfigException(
                $"actorstream.kafka.bootstrap-servers is 'embedded': that broker lives inside `run`/`dev` and its topics are created from the declarations; point this command at a cluster with {KafkaDefaults.BootstrapServersEnvironmentVariable} or --set actorstream.kafka.bootstrap-servers=host:port");
        }

        return ConfigurationFactory.ParseString($"actorstream.kafka.bootstrap-servers = \"{bootstrap}\"").WithFallback(config);
    }

    /// <summary>Connection properties (bootstrap servers, security) for clients of operator commands.</summary>
    public static Dictionary<string, string> ClientProperties(Config config) => KafkaClientProperties.For(config);
}
