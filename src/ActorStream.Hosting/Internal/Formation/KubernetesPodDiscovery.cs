using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;

namespace ActorStream.Hosting.Internal.Formation;

/// <summary>
/// Akka.Discovery method <c>kubernetes-api</c>: lists the running pods that match a label selector
/// through the Kubernetes API, with the pod's service account (token, CA, namespace), and returns
/// each pod's IP with the container port named by the lookup's port name (the management port).
/// </summary>
/// <remarks>
/// Why not Akka.Discovery.KubernetesApi: version 1.5.73 is built against KubernetesClient 17, and
/// the package registry here serves only 19 and 21, whose model constructors changed — its lookup
/// fails with a MissingMethodException (ClusterFormationTests shows it). This is the same query
/// (<c>GET /api/v1/namespaces/{ns}/pods?labelSelector=…</c>) with the same configuration keys
/// (<c>akka.discovery.kubernetes-api.*</c>), on HttpClient alone.
/// </remarks>
internal sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    /// <summary>The configuration section (Akka.Discovery's <c>akka.discovery.&lt;method&gt;</c>).</summary>
    public const string ConfigPath = "akka.discovery.kubernetes-api";

    private const string ServiceAccount = "/var/run/secrets/kubernetes.io/serviceaccount";

    private readonly ILoggingAdapter _log;
    private readonly string _hostVariable;
    private readonly string _portVariable;
    private readonly string _tokenPath;
    private readonly string _caPath;
    private readonly string _namespace;
    private readonly string _labelSelector;
    private readonly Lazy<HttpClient> _http;

    public KubernetesPodDiscovery(ExtendedActorSystem system)
    {
        _log = Logging.GetLogger(system, typeof(KubernetesPodDiscovery));
        var config = system.Settings.Config.GetConfig(ConfigPath);
        string Get(string key, string fallback) => config?.GetString(key, fallback) is { Length: > 0 } value ? value : fallback;

        _hostVariable = Get("api-service-host-env-name", "KUBERNETES_SERVICE_HOST");
        _portVariable = Get("api-service-port-env-name", "KUBERNETES_SERVICE_PORT");
        _tokenPath = Get("api-token-path", $"{ServiceAccount}/token");
        _caPath = Get("api-ca-path", $"{ServiceAccount}/ca.crt");
        _labelSelector = Get("pod-label-selector", "app={0}");

        // The configured namespace, else the pod's own (service account), else "default" — as the Akka plugin.
        var configured = Get("pod-namespace", "");
        var namespacePath = Get("pod-namespace-path", $"{ServiceAccount}/namespace");
        _namespace = configured.Length > 0 && configured != "<pod-namespace>" ? configured
            : File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim()
            : "default";
        _http = new Lazy<HttpClient>(CreateClient);
    }

    /// <summary>Running, not-terminating pods with an IP; with a port name, only pods that expose a container port of that name.</summary>
    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        var host = Environment.GetEnvironmentVariable(_hostVariable);
        var port = Environment.GetEnvironmentVariable(_portVariable);
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(port))
        {
            throw new KubernetesDiscoveryException(
                $"the Kubernetes API address is not set: environment variables {_hostVariable} / {_portVariable} are empty (Kubernetes sets them in every pod; outside a cluster use discovery-method = config)");
        }

        var selector = string.Format(CultureInfo.InvariantCulture, _labelSelector, lookup.ServiceName);
        var uri = new Uri($"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}/api/v1/namespaces/{Uri.EscapeDataString(_namespace)}/pods?labelSelector={Uri.EscapeDataString(selector)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);

        // Read per lookup: projected service account tokens are rotated by the kubelet.
        if (File.Exists(_tokenPath))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(_tokenPath)).Trim());
        }

        using var timeout = new CancellationTokenSource(resolveTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.Value.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new KubernetesDiscoveryException($"no answer from the Kubernetes API at {uri.Authority} within {resolveTimeout}");
        }
        catch (HttpRequestException ex)
        {
            throw new KubernetesDiscoveryException($"cannot reach the Kubernetes API at {uri.Authority}: {ex.GetBaseException().Message} (CA: {_caPath})");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            {
                throw new KubernetesDiscoveryException(
                    $"the Kubernetes API refused to list pods in namespace '{_namespace}' ({(int)response.StatusCode}): the pod's service account needs get/list/watch on pods (a Role and RoleBinding, see deploy/kubernetes)");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new KubernetesDiscoveryException($"the Kubernetes API answered {(int)response.StatusCode} to {uri.PathAndQuery}: {Truncate(body)}");
            }

            var targets = Targets(body, lookup.PortName);
            if (targets.Count == 0)
            {
                _log.Warning("No running pods with label selector [{0}] in namespace [{1}]{2}", selector, _namespace,
                    lookup.PortName is null ? "" : $" exposing a container port named [{lookup.PortName}]");
            }

            return new Resolved(lookup.ServiceName, targets);
        }
    }

    /// <summary>Parses a PodList (internal for tests).</summary>
    internal static List<ResolvedTarget> Targets(string podList, string? portName)
    {
        using var json = JsonDocument.Parse(podList);
        var targets = new List<ResolvedTarget>();
        if (!json.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return targets;
        }

        foreach (var pod in items.EnumerateArray())
        {
            if (pod.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind != JsonValueKind.Null)
            {
                continue;
            }

            if (!pod.TryGetProperty("status", out var status)
                || !status.TryGetProperty("phase", out var phase) || phase.GetString() != "Running"
                || !status.TryGetProperty("podIP", out var ipElement) || !IPAddress.TryParse(ipElement.GetString(), out var ip))
            {
                continue;
            }

            int? port = null;
            if (portName is not null)
            {
                port = ContainerPorts(pod).Where(p => p.Name == portName).Select(p => (int?)p.Port).FirstOrDefault();
                if (port is null)
                {
                    continue;
                }
            }

            targets.Add(new ResolvedTarget(ip.ToString(), port, ip));
        }

        return targets;
    }

    private static IEnumerable<(string? Name, int Port)> ContainerPorts(JsonElement pod)
    {
        if (!pod.TryGetProperty("spec", out var spec) || !spec.TryGetProperty("containers", out var containers) || containers.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var container in containers.EnumerateArray())
        {
            if (!container.TryGetProperty("ports", out var ports) || ports.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var p in ports.EnumerateArray())
            {
                if (p.TryGetProperty("containerPort", out var number) && number.TryGetInt32(out var value))
                {
                    yield return (p.TryGetProperty("name", out var name) ? name.GetString() : null, value);
                }
            }
        }
    }

    /// <summary>Trusts the cluster CA (the service account's ca.crt) besides the system store; host names are still checked.</summary>
    private HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (File.Exists(_caPath))
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(_caPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return chain.Build(leaf);
            };
        }
        else
        {
            _log.Warning("Kubernetes CA file {0} does not exist; the API server's certificate must be trusted by the system store", _caPath);
        }

        return new HttpClient(handler, disposeHandler: true);
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

/// <summary>Kubernetes API discovery failed; the message says what to check.</summary>
internal sealed class KubernetesDiscoveryException : Exception
{
    public KubernetesDiscoveryException(string message)
        : base(message)
    {
    }
}
