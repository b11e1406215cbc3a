using System.Globalization;
using Akka.Configuration;
using ActorStream.Kafka.Settings;
using Config = Akka.Configuration.Config;

namespace ActorStream.Host.Node;

/// <summary>
/// Assembles a node's configuration: <c>--set</c> overrides, then the config file, then the node
/// defaults (node.conf). Errors name the file, the override or the key at fault.
/// </summary>
internal static class NodeConfig
{
    public static Config Load(string? configFile, IReadOnlyList<string> overrides)
    {
        var config = Defaults();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new NodeConfigException($"--config: file '{configFile}' does not exist");
            }

            var text = File.ReadAllText(configFile);
            if (HoconSyntaxCheck.Check(text) is { } problem)
            {
                throw new NodeConfigException($"--config: '{configFile}' is not valid HOCON: {problem}");
            }

            try
            {
                config = ConfigurationFactory.ParseString(text, Includes(Path.GetDirectoryName(Path.GetFullPath(configFile))!, 0)).WithFallback(config);
            }
            catch (Exception ex) when (ex is not NodeConfigException)
            {
                throw new NodeConfigException($"--config: '{configFile}' is not valid HOCON: {ex.Message}");
            }
        }

        foreach (var item in overrides.Reverse())
        {
            config = ParseOverride(item).WithFallback(config);
        }

        return config;
    }

    /// <summary><c>include "other.conf"</c> resolves relative to the including file (depth-limited).</summary>
    private static Func<string, Akka.Configuration.Hocon.HoconRoot> Includes(string directory, int depth) => name =>
    {
        var file = name.Trim().Trim('"');
        var path = Path.IsPathRooted(file) ? file : Path.Combine(directory, file);
        if (depth > 10)
        {
            throw new NodeConfigException($"--config: include '{file}' nests more than 10 levels");
        }

        if (!File.Exists(path))
        {
            throw new NodeConfigException($"--config: included file '{path}' does not exist");
        }

        var text = File.ReadAllText(path);
        if (HoconSyntaxCheck.Check(text) is { } problem)
        {
            throw new NodeConfigException($"--config: included file '{path}' is not valid HOCON: {problem}");
        }

        return Akka.Configuration.Hocon.Parser.Parse(text, Includes(Path.GetDirectoryName(Path.GetFullPath(path))!, depth + 1));
    };

    /// <summary>Parses <c>path=value</c>; the value is taken as a string (HOCON converts it for numbers, durations, booleans).</summary>
    public static Config ParseOverride(string item)
    {
        var eq = item.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new NodeConfigException($"--set '{item}' is invalid; expected path=value, e.g. --set actorstream.kafka.bootstrap-servers=localhost:9092");
        }

        var path = item[..eq].Trim();
        if (path.Length == 0 || path.Any(c => !(char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '"')))
        {
            throw new NodeConfigException($"--set '{item}': '{path}' is not a configuration path (letters, digits, '.', '-', '_')");
        }

        var value = item[(eq + 1)..];
        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return ConfigurationFactory.ParseString($"{path} = \"{escaped}\"");
    }

    public static TimeSpan StopTimeout(Config config) =>
        config.GetTimeSpan("actorstream.node.stop-timeout", TimeSpan.FromSeconds(30));

    public static TimeSpan JoinTimeout(Config config) =>
        config.GetTimeSpan("actorstream.node.join-timeout", TimeSpan.FromSeconds(60));

    public static TimeSpan TopicCheckTimeout(Config config) =>
        config.GetTimeSpan("actorstream.node.topic-check-timeout", TimeSpan.FromSeconds(15));

    /// <summary>The effective bootstrap servers (environment first), or an error naming the key and the variable.</summary>
    public static string BootstrapServers(Config config)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(KafkaDefaults.BootstrapServersEnvironmentVariable);
        var value = !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment : config.GetString("actorstream.kafka.bootstrap-servers", "");
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new NodeConfigException(
                $"Kafka bootstrap servers are not set: set actorstream.kafka.bootstrap-servers in the config file (or --set actorstream.kafka.bootstrap-servers=host:port), or the {KafkaDefaults.BootstrapServersEnvironmentVariable} environment variable; 'embedded' starts an in-process broker for development");
        }

        return value.Trim();
    }

    private static Config Defaults()
    {
        using var stream = typeof(NodeConfig).Assembly.GetManifestResourceStream("ActorStream.Host.node.conf")
            ?? throw new InvalidOperationException("node.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>The node's configuration is missing or invalid; the message says what and where.</summary>
internal sealed class NodeConfigException : Exception
{
    public NodeConfigException(string message)
        : base(message)
    {
    }
}
