using System.Globalization;
using Akka.Configuration;
using Config = Akka.Configuration.Config;
using ActorStream.Hosting.Internal.Configuration;

namespace ActorStream.Hosting.Internal.Formation;

/// <summary>How a node finds the other members of its cluster (<c>actorstream.cluster.formation</c>).</summary>
internal enum FormationMode
{
    /// <summary><c>akka.cluster.seed-nodes</c>; an empty list makes the node join itself.</summary>
    SeedNodes,

    /// <summary>Akka.Management's HTTP endpoint plus Cluster Bootstrap over Akka.Discovery.</summary>
    Bootstrap,
}

/// <summary>Where Cluster Bootstrap looks up its contact points (<c>actorstream.cluster.bootstrap.discovery-method</c>).</summary>
internal enum DiscoveryMethod
{
    /// <summary>A fixed list of management endpoints in configuration (development, tests, fixed hosts).</summary>
    Config,

    /// <summary>Pods listed through the Kubernetes API by label selector (deployment).</summary>
    KubernetesApi,
}

/// <summary>
/// The validated <c>actorstream.cluster</c> section: formation by seed nodes or by Akka.Management's
/// Cluster Bootstrap, and the Akka configuration that implements the choice. Errors name the key
/// and the allowed values.
/// </summary>
internal sealed class ClusterFormationSettings
{
    public const string Section = "actorstream.cluster";
    public const string FormationKey = Section + ".formation";
    public const string ManagementHostnameKey = Section + ".management.hostname";
    public const string ManagementPortKey = Section + ".management.port";
    public const string DiscoveryMethodKey = Section + ".bootstrap.discovery-method";
    public const string ServiceNameKey = Section + ".bootstrap.service-name";
    public const string RequiredContactPointsKey = Section + ".bootstrap.required-contact-point-nr";
    public const string StableMarginKey = Section + ".bootstrap.stable-margin";
    public const string ContactPointsKey = Section + ".bootstrap.contact-points";
    public const string KubernetesNamespaceKey = Section + ".bootstrap.kubernetes.namespace";
    public const string PodLabelSelectorKey = Section + ".bootstrap.kubernetes.pod-label-selector";
    public const string ManagementPortNameKey = Section + ".bootstrap.kubernetes.management-port-name";

    /// <summary>Configuration spellings of <see cref="FormationMode"/>.</summary>
    public static readonly IReadOnlyDictionary<string, FormationMode> Formations = new Dictionary<string, FormationMode>(StringComparer.Ordinal)
    {
        ["seed-nodes"] = FormationMode.SeedNodes,
        ["bootstrap"] = FormationMode.Bootstrap,
    };

    /// <summary>Configuration spellings of <see cref="DiscoveryMethod"/> (Akka.Discovery's method names).</summary>
    public static readonly IReadOnlyDictionary<string, DiscoveryMethod> DiscoveryMethods = new Dictionary<string, DiscoveryMethod>(StringComparer.Ordinal)
    {
        ["config"] = DiscoveryMethod.Config,
        ["kubernetes-api"] = DiscoveryMethod.KubernetesApi,
    };

    private ClusterFormationSettings()
    {
    }

    public FormationMode Mode { get; private init; }

    /// <summary>Seed node addresses (seed-nodes formation; empty = join itself).</summary>
    public IReadOnlyList<string> SeedNodes { get; private init; } = [];

    /// <summary>The host name peers reach this node's management endpoint at (also its bind address).</summary>
    public string ManagementHostname { get; private init; } = "";

    public int ManagementPort { get; private init; }

    public DiscoveryMethod Discovery { get; private init; }

    public string ServiceName { get; private init; } = "";

    public int RequiredContactPoints { get; private init; }

    public TimeSpan StableMargin { get; private init; }

    /// <summary>Management endpoints for the config discovery method.</summary>
    public IReadOnlyList<(string Host, int Port)> ContactPoints { get; private init; } = [];

    /// <summary>Namespace whose pods are listed; empty = the pod's own (service account), else <c>default</c>.</summary>
    public string KubernetesNamespace { get; private init; } = "";

    public string PodLabelSelector { get; private init; } = "";

    public string ManagementPortName { get; private init; } = "";

    /// <exception cref="NodeConfigException">A key is missing or invalid; the message names it.</exception>
    public static ClusterFormationSettings Create(Config config)
    {
        var formationText = config.GetString(FormationKey, "seed-nodes")?.Trim() ?? "";
        if (!Formations.TryGetValue(formationText, out var mode))
        {
            throw new NodeConfigException($"{FormationKey}: '{formationText}' is not a formation; allowed: {string.Join(", ", Formations.Keys)}");
        }

        var seeds = config.HasPath("akka.cluster.seed-nodes") ? config.GetStringList("akka.cluster.seed-nodes") : [];
        if (mode == FormationMode.SeedNodes)
        {
            return new ClusterFormationSettings { Mode = mode, SeedNodes = [.. seeds] };
        }

        // Akka's Cluster Bootstrap silently stands down when seed nodes are configured; two sources of
        // truth for who forms the cluster is a deployment mistake, so refuse it.
        if (seeds.Count > 0)
        {
            throw new NodeConfigException(
                $"{FormationKey} = bootstrap, but seed nodes are set (akka.cluster.seed-nodes / {NodeConfig.SeedNodesVariable}: {string.Join(", ", seeds)}); use one: remove the seed nodes, or set {FormationKey} = seed-nodes");
        }

        var port = Int(config, ManagementPortKey, 8558);
        if (port is < 1 or > 65535)
        {
            // Bootstrap advertises the configured port as this node's contact point (not the bound one)
            // and peers probe the port discovery returns, so a free port picked at bind time cannot work.
            throw new NodeConfigException(
                $"{ManagementPortKey}: must be 1 to 65535 with formation = bootstrap (got {port}); 0 (any free port) cannot be used, since peers probe the fixed port that discovery returns and a node recognises itself by it");
        }

        var hostname = config.GetString(ManagementHostnameKey, "")?.Trim() ?? "";
        if (hostname.Length == 0)
        {
            var publicHost = config.GetString("akka.remote.dot-netty.tcp.public-hostname", "")?.Trim() ?? "";
            hostname = publicHost.Length > 0 ? publicHost : config.GetString("akka.remote.dot-netty.tcp.hostname", "")?.Trim() ?? "";
            if (hostname is "" or "0.0.0.0" or "::" or "[::]")
            {
                throw new NodeConfigException(
                    $"{ManagementHostnameKey} is empty and the remoting hostname ('{hostname}') is not an address peers can reach; set {ManagementHostnameKey} ({NodeConfig.ManagementHostnameVariable}) to this node's address, e.g. the pod IP");
            }
        }
        else if (hostname is "0.0.0.0" or "::" or "[::]")
        {
            throw new NodeConfigException(
                $"{ManagementHostnameKey}: '{hostname}' is a wildcard; it is advertised to peers and matched against discovery results, so set the address peers reach this node at");
        }

        var methodText = config.GetString(DiscoveryMethodKey, "config")?.Trim() ?? "";
        if (!DiscoveryMethods.TryGetValue(methodText, out var method))
        {
            throw new NodeConfigException($"{DiscoveryMethodKey}: '{methodText}' is not a discovery method; allowed: {string.Join(", ", DiscoveryMethods.Keys)}");
        }

        var serviceName = config.GetString(ServiceNameKey, "actorstream")?.Trim() ?? "";
        if (serviceName.Length == 0 || serviceName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')))
        {
            throw new NodeConfigException($"{ServiceNameKey}: '{serviceName}' is not a service name; use letters, digits, '-', '.', '_' (e.g. actorstream)");
        }

        var required = Int(config, RequiredContactPointsKey, 2);
        if (required < 1)
        {
            throw new NodeConfigException($"{RequiredContactPointsKey}: must be at least 1 (got {required}); set it to the number of nodes that start the cluster");
        }

        TimeSpan stableMargin;
        try
        {
            stableMargin = config.GetTimeSpan(StableMarginKey, TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is not NodeConfigException)
        {
            throw new NodeConfigException($"{StableMarginKey}: '{config.GetString(StableMarginKey)}' is not a duration (e.g. 5s)");
        }

        if (stableMargin <= TimeSpan.Zero)
        {
            throw new NodeConfigException($"{StableMarginKey}: must be a positive duration (got {stableMargin})");
        }

        var labelSelector = config.GetString(PodLabelSelectorKey, "app={0}")?.Trim() ?? "";
        var portName = config.GetString(ManagementPortNameKey, "management")?.Trim() ?? "";
        IReadOnlyList<(string Host, int Port)> contactPoints = [];
        if (method == DiscoveryMethod.Config)
        {
            var points = ContactPointList(config);
            if (points.Count == 0)
            {
                throw new NodeConfigException(
                    $"{ContactPointsKey} is empty, but {DiscoveryMethodKey} = config: list the management endpoints of the nodes (host:port, e.g. [\"10.0.0.1:8558\", \"10.0.0.2:8558\"]) or set {NodeConfig.ContactPointsVariable} (comma-separated)");
            }

            contactPoints = points.Select(p => ParseContactPoint(p, ContactPointsKey)).Distinct().ToList();
            if (contactPoints.Count < required)
            {
                throw new NodeConfigException(
                    $"{ContactPointsKey} lists {contactPoints.Count} distinct endpoint(s), fewer than {RequiredContactPointsKey} = {required}: the cluster could never form; list every node that starts it, or lower {RequiredContactPointsKey}");
            }
        }
        else if (labelSelector.Length == 0)
        {
            throw new NodeConfigException($"{PodLabelSelectorKey} is empty; set a label selector for the nodes' pods, e.g. app={{0}} ({{0}} = {ServiceNameKey})");
        }
        else if (!IsSelectorFormat(labelSelector))
        {
            throw new NodeConfigException($"{PodLabelSelectorKey}: '{labelSelector}' is not a selector format; {{0}} (the service name) is the only placeholder, e.g. app={{0}}");
        }
        else if (portName.Length == 0)
        {
            // Without a port name the Kubernetes discovery returns pods without ports and bootstrap
            // falls back to this node's own management port for every pod; say so rather than guess.
            throw new NodeConfigException($"{ManagementPortNameKey} is empty; set the name of the management container port in the pod spec (e.g. management)");
        }

        return new ClusterFormationSettings
        {
            Mode = mode,
            ManagementHostname = hostname,
            ManagementPort = port,
            Discovery = method,
            ServiceName = serviceName,
            RequiredContactPoints = required,
            StableMargin = stableMargin,
            ContactPoints = contactPoints,
            KubernetesNamespace = config.GetString(KubernetesNamespaceKey, "")?.Trim() ?? "",
            PodLabelSelector = labelSelector,
            ManagementPortName = portName,
        };
    }

    /// <summary>Does this node's own management endpoint appear among the configured contact points?</summary>
    public bool ListsItself => ContactPoints.Any(p => p.Port == ManagementPort && string.Equals(p.Host, ManagementHostname, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The Akka.Management / Cluster Bootstrap / Akka.Discovery keys for this formation; the caller puts
    /// them above the node's configuration (these keys are owned by <c>actorstream.cluster</c>; other
    /// <c>akka.management.*</c> and <c>akka.discovery.*</c> tuning passes through untouched).
    /// </summary>
    public Config AkkaConfig()
    {
        if (Mode == FormationMode.SeedNodes)
        {
            return ConfigurationFactory.Empty;
        }

        var method = DiscoveryMethods.Single(kv => kv.Value == Discovery).Key;
        var lines = new List<string>
        {
            $"akka.management.http.hostname = {Quote(ManagementHostname)}",
            $"akka.management.http.port = {ManagementPort}",
            $"akka.discovery.method = {method}",
            "akka.management.cluster.bootstrap.contact-point-discovery {",
            $"  service-name = {Quote(ServiceName)}",
            $"  discovery-method = {method}",
            $"  required-contact-point-nr = {RequiredContactPoints}",
            $"  stable-margin = {(long)StableMargin.TotalMilliseconds}ms",
            $"  port-name = {Quote(Discovery == DiscoveryMethod.KubernetesApi ? ManagementPortName : "")}",
            "}",
        };

        if (Discovery == DiscoveryMethod.Config)
        {
            // The list holds management endpoints only, possibly several on one host with different
            // ports (tests, one machine): keep them all rather than filtering on this node's own port.
            lines.Add("akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port = false");
            lines.Add($"akka.discovery.config.services.{Quote(ServiceName)}.endpoints = [{string.Join(", ", ContactPoints.Select(p => Quote($"{p.Host}:{p.Port}")))}]");
        }
        else
        {
            // Our own implementation of the method (see KubernetesPodDiscovery for why), same keys as Akka's plugin.
            var type = typeof(KubernetesPodDiscovery);
            lines.Add($"akka.discovery.kubernetes-api.class = {Quote($"{type.FullName}, {type.Assembly.GetName().Name}")}");
            lines.Add($"akka.discovery.kubernetes-api.pod-label-selector = {Quote(PodLabelSelector)}");
            if (KubernetesNamespace.Length > 0)
            {
                lines.Add($"akka.discovery.kubernetes-api.pod-namespace = {Quote(KubernetesNamespace)}");
            }
        }

        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    /// <summary>One line for logs and errors: how this node looks for its peers.</summary>
    public string Describe() => Mode switch
    {
        FormationMode.SeedNodes => SeedNodes.Count == 0 ? "seed nodes: (self)" : $"seed nodes: {string.Join(", ", SeedNodes)}",
        _ => Discovery == DiscoveryMethod.Config
            ? $"bootstrap via config discovery, service '{ServiceName}', contact points {string.Join(", ", ContactPoints.Select(p => $"{p.Host}:{p.Port}"))}, required {RequiredContactPoints}; management at {ManagementHostname}:{ManagementPort}"
            : $"bootstrap via kubernetes-api discovery, service '{ServiceName}', pods '{PodLabelSelector.Replace("{0}", ServiceName, StringComparison.Ordinal)}' in namespace {(KubernetesNamespace.Length > 0 ? KubernetesNamespace : "(own)")}, port '{ManagementPortName}', required {RequiredContactPoints}; management at {ManagementHostname}:{ManagementPort}",
    };

    /// <summary>Parses <c>host:port</c> (IPv6 as <c>[addr]:port</c>); the error names <paramref name="source"/>.</summary>
    public static (string Host, int Port) ParseContactPoint(string text, string source)
    {
        var value = text.Trim();
        var colon = value.LastIndexOf(':');
        var host = colon > 0 ? value[..colon] : "";
        if (colon <= 0 || host.Length == 0 || (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']')))
            || !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new NodeConfigException($"{source}: '{text}' is not a management endpoint; expected host:port with port 1 to 65535 (e.g. 10.0.0.1:8558)");
        }

        return (host, port);
    }

    private static bool IsSelectorFormat(string selector)
    {
        try
        {
            _ = string.Format(CultureInfo.InvariantCulture, selector, "service");
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A HOCON list, or a comma-separated string (what <c>--set</c> produces).</summary>
    private static IReadOnlyList<string> ContactPointList(Config config)
    {
        if (!config.HasPath(ContactPointsKey))
        {
            return [];
        }

        var value = config.GetValue(ContactPointsKey);
        if (value.IsString())
        {
            return value.GetString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        return config.GetStringList(ContactPointsKey).Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
    }

    private static int Int(Config config, string key, int fallback)
    {
        if (!config.HasPath(key))
        {
            return fallback;
        }

        var text = config.GetString(key)?.Trim() ?? "";
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new NodeConfigException($"{key}: '{text}' is not a whole number");
    }

    private static string Quote(string value) => NodeConfig.Quote(value);
}
