using System.Globalization;
using Akka.Configuration;
using ActorStream.Kafka.Settings;
using Config = Akka.Configuration.Config;
using ActorStream.Hosting.Internal.Formation;

namespace ActorStream.Hosting.Internal.Configuration;

/// <summary>
/// Assembles a node's configuration from its sources, highest precedence first: <c>--set</c>
/// overrides, the <c>ACTORSTREAM_*</c> environment variables, Microsoft.Extensions.Configuration
/// (appsettings.json, environment, command line; see <see cref="AppConfiguration"/>), the HOCON
/// files (a later file over an earlier one), configuration given in code, and the node defaults
/// (node.conf). Errors name the file, the override or the key at fault.
/// </summary>
internal static class NodeConfig
{
    /// <summary>The configuration of an operator command: one optional file, <c>--set</c> overrides, the environment, the node defaults.</summary>
    public static Config Load(string? configFile, IReadOnlyList<string> overrides) =>
        Layers(configFile is null ? [] : [configFile], overrides, AppConfiguration.ForCommandLine(), [], "--config").WithFallback(Defaults()).Merged;

    /// <summary>The sources of a node's configuration, highest precedence first, without the node defaults.</summary>
    /// <param name="files">HOCON files, in the order given (a later file wins).</param>
    /// <param name="overrides"><c>path=value</c> items (<c>--set</c>); the first of a key wins.</param>
    /// <param name="app">Microsoft.Extensions.Configuration of the application, if any.</param>
    /// <param name="code">Configuration given in code, later over earlier.</param>
    /// <param name="fileOption">How errors name the files' source (<c>--config</c> on the command line).</param>
    public static ConfigLayers Layers(IReadOnlyList<string> files, IReadOnlyList<string> overrides, Microsoft.Extensions.Configuration.IConfiguration? app, IReadOnlyList<Config> code, string fileOption)
    {
        var layers = new List<ConfigLayer>();
        foreach (var item in overrides)
        {
            layers.Add(new ConfigLayer($"--set '{item}'", ParseOverride(item)));
        }

        layers.Add(new ConfigLayer("the ACTORSTREAM_* environment variables", ClusterEnvironment()));
        if (app is not null)
        {
            layers.Add(new ConfigLayer(null, AppConfiguration.ToHocon(app), app));
        }

        foreach (var file in files.Reverse())
        {
            layers.Add(new ConfigLayer($"file '{file}'", ParseFile(file, fileOption)));
        }

        foreach (var config in code.Reverse())
        {
            layers.Add(new ConfigLayer("configuration given in code", config));
        }

        return new ConfigLayers(layers);
    }

    private static Config ParseFile(string configFile, string fileOption)
    {
        if (!File.Exists(configFile))
        {
            throw new NodeConfigException($"{fileOption}: file '{configFile}' does not exist");
        }

        var text = File.ReadAllText(configFile);
        if (HoconSyntaxCheck.Check(text) is { } problem)
        {
            throw new NodeConfigException($"{fileOption}: '{configFile}' is not valid HOCON: {problem}");
        }

        try
        {
            return ConfigurationFactory.ParseString(text, Includes(Path.GetDirectoryName(Path.GetFullPath(configFile))!, 0, fileOption));
        }
        catch (Exception ex) when (ex is not NodeConfigException)
        {
            throw new NodeConfigException($"{fileOption}: '{configFile}' is not valid HOCON: {ex.Message}");
        }
    }

    /// <summary>
    /// Seed nodes, remoting address and cluster formation (management endpoint, discovery) from the
    /// environment (they sit between the file and <c>--set</c>).
    /// </summary>
    /// <exception cref="NodeConfigException">A variable has an invalid value (the message names it).</exception>
    public static Config ClusterEnvironment()
    {
        var lines = new List<string>();
        if (Environment.GetEnvironmentVariable(SeedNodesVariable) is { Length: > 0 } seeds)
        {
            var list = seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // akka.ssl.tcp:// is the scheme of nodes with remoting TLS on (enable-ssl).
            var bad = list.FirstOrDefault(s => !(s.StartsWith("akka.tcp://", StringComparison.Ordinal) || s.StartsWith("akka.ssl.tcp://", StringComparison.Ordinal))
                || !Uri.TryCreate(s, UriKind.Absolute, out var u) || u.Port <= 0);
            if (bad is not null)
            {
                throw new NodeConfigException($"{SeedNodesVariable}: '{bad}' is not a seed node address; expected akka.tcp://<system>@<host>:<port> (akka.ssl.tcp:// with remoting TLS), comma-separated");
            }

            lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", list.Select(s => $"\"{s}\""))}]");
        }

        if (Environment.GetEnvironmentVariable(RemoteHostnameVariable) is { Length: > 0 } host)
        {
            lines.Add($"akka.remote.dot-netty.tcp.hostname = \"{host.Trim().Replace("\"", "", StringComparison.Ordinal)}\"");
        }

        if (Environment.GetEnvironmentVariable(RemotePortVariable) is { Length: > 0 } portText)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                throw new NodeConfigException($"{RemotePortVariable}: must be 0 (any free port) to 65535; got '{portText}'");
            }

            lines.Add($"akka.remote.dot-netty.tcp.port = {port}");
        }

        FormationEnvironment(lines);
        return lines.Count == 0 ? ConfigurationFactory.Empty : ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    /// <summary>Formation choice, management endpoint and discovery settings from the environment.</summary>
    private static void FormationEnvironment(List<string> lines)
    {
        static string? Read(string variable) =>
            Environment.GetEnvironmentVariable(variable) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        if (Read(FormationVariable) is { } formation)
        {
            if (!ClusterFormationSettings.Formations.ContainsKey(formation))
            {
                throw new NodeConfigException($"{FormationVariable}: '{formation}' is not a formation; allowed: {string.Join(", ", ClusterFormationSettings.Formations.Keys)}");
            }

            lines.Add($"{ClusterFormationSettings.FormationKey} = {Quote(formation)}");
        }

        if (Read(ManagementHostnameVariable) is { } managementHost)
        {
            lines.Add($"{ClusterFormationSettings.ManagementHostnameKey} = {Quote(managementHost)}");
        }

        if (Read(ManagementPortVariable) is { } managementPort)
        {
            if (!int.TryParse(managementPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new NodeConfigException($"{ManagementPortVariable}: must be 1 to 65535 (peers probe the fixed port discovery returns); got '{managementPort}'");
            }

            lines.Add($"{ClusterFormationSettings.ManagementPortKey} = {port}");
        }

        if (Read(DiscoveryMethodVariable) is { } method)
        {
            if (!ClusterFormationSettings.DiscoveryMethods.ContainsKey(method))
            {
                throw new NodeConfigException($"{DiscoveryMethodVariable}: '{method}' is not a discovery method; allowed: {string.Join(", ", ClusterFormationSettings.DiscoveryMethods.Keys)}");
            }

            lines.Add($"{ClusterFormationSettings.DiscoveryMethodKey} = {Quote(method)}");
        }

        if (Read(ServiceNameVariable) is { } serviceName)
        {
            lines.Add($"{ClusterFormationSettings.ServiceNameKey} = {Quote(serviceName)}");
        }

        if (Read(RequiredContactPointsVariable) is { } requiredText)
        {
            if (!int.TryParse(requiredText, NumberStyles.None, CultureInfo.InvariantCulture, out var required) || required < 1)
            {
                throw new NodeConfigException($"{RequiredContactPointsVariable}: must be a whole number of at least 1; got '{requiredText}'");
            }

            lines.Add($"{ClusterFormationSettings.RequiredContactPointsKey} = {required}");
        }

        if (Read(ContactPointsVariable) is { } contactPoints)
        {
            var list = contactPoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => ClusterFormationSettings.ParseContactPoint(p, ContactPointsVariable))
                .Select(p => Quote($"{p.Host}:{p.Port}"));
            lines.Add($"{ClusterFormationSettings.ContactPointsKey} = [{string.Join(", ", list)}]");
        }

        if (Read(KubernetesNamespaceVariable) is { } ns)
        {
            lines.Add($"{ClusterFormationSettings.KubernetesNamespaceKey} = {Quote(ns)}");
        }

        if (Read(PodLabelSelectorVariable) is { } selector)
        {
            lines.Add($"{ClusterFormationSettings.PodLabelSelectorKey} = {Quote(selector)}");
        }
    }

    /// <summary>A HOCON quoted string.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Comma-separated seed node addresses (akka.tcp://actorstream@host:port; akka.ssl.tcp:// with TLS).</summary>
    public const string SeedNodesVariable = "ACTORSTREAM_SEED_NODES";

    /// <summary>The host name other nodes reach this node's remoting at.</summary>
    public const string RemoteHostnameVariable = "ACTORSTREAM_REMOTE_HOSTNAME";

    /// <summary>The remoting port.</summary>
    public const string RemotePortVariable = "ACTORSTREAM_REMOTE_PORT";

    /// <summary><c>seed-nodes</c> or <c>bootstrap</c> (actorstream.cluster.formation).</summary>
    public const string FormationVariable = "ACTORSTREAM_CLUSTER_FORMATION";

    /// <summary>The host name peers reach this node's Akka.Management endpoint at.</summary>
    public const string ManagementHostnameVariable = "ACTORSTREAM_MANAGEMENT_HOSTNAME";

    /// <summary>The Akka.Management HTTP port.</summary>
    public const string ManagementPortVariable = "ACTORSTREAM_MANAGEMENT_PORT";

    /// <summary><c>config</c> or <c>kubernetes-api</c>.</summary>
    public const string DiscoveryMethodVariable = "ACTORSTREAM_DISCOVERY_METHOD";

    /// <summary>The service name looked up in discovery.</summary>
    public const string ServiceNameVariable = "ACTORSTREAM_BOOTSTRAP_SERVICE_NAME";

    /// <summary>How many contact points must be confirmed before a new cluster forms.</summary>
    public const string RequiredContactPointsVariable = "ACTORSTREAM_REQUIRED_CONTACT_POINTS";

    /// <summary>Comma-separated host:port management endpoints (config discovery).</summary>
    public const string ContactPointsVariable = "ACTORSTREAM_CONTACT_POINTS";

    /// <summary>The namespace whose pods Kubernetes discovery lists.</summary>
    public const string KubernetesNamespaceVariable = "ACTORSTREAM_KUBERNETES_NAMESPACE";

    /// <summary>The pod label selector for Kubernetes discovery (<c>{0}</c> = service name).</summary>
    public const string PodLabelSelectorVariable = "ACTORSTREAM_KUBERNETES_POD_LABEL_SELECTOR";

    /// <summary><c>include "other.conf"</c> resolves relative to the including file (depth-limited).</summary>
    private static Func<string, Akka.Configuration.Hocon.HoconRoot> Includes(string directory, int depth, string fileOption) => name =>
    {
        var file = name.Trim().Trim('"');
        var path = Path.IsPathRooted(file) ? file : Path.Combine(directory, file);
        if (depth > 10)
        {
            throw new NodeConfigException($"{fileOption}: include '{file}' nests more than 10 levels");
        }

        if (!File.Exists(path))
        {
            throw new NodeConfigException($"{fileOption}: included file '{path}' does not exist");
        }

        var text = File.ReadAllText(path);
        if (HoconSyntaxCheck.Check(text) is { } problem)
        {
            throw new NodeConfigException($"{fileOption}: included file '{path}' is not valid HOCON: {problem}");
        }

        return Akka.Configuration.Hocon.Parser.Parse(text, Includes(Path.GetDirectoryName(Path.GetFullPath(path))!, depth + 1, fileOption));
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

    /// <summary>The node defaults (node.conf, embedded): a new instance per call (a fallback chain must not meet one twice).</summary>
    public static Config Defaults()
    {
        using var stream = typeof(NodeConfig).Assembly.GetManifestResourceStream("ActorStream.Hosting.node.conf")
            ?? throw new InvalidOperationException("node.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>The node's configuration is missing or invalid; the message says what and where.</summary>
internal sealed class NodeConfigException : ActorStreamConfigurationException
{
    public NodeConfigException(string message)
        : base(message)
    {
    }
}
