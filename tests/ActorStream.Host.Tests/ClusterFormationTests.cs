using System.Collections.Concurrent;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Hosting.Internal.Formation;
using Akka.Actor;
using Akka.Configuration;
using Akka.Discovery;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>
/// <c>actorstream.cluster</c>: the formation settings, the Akka keys they produce, and the
/// Kubernetes API discovery they configure, run against a fake API server.
/// </summary>
public sealed class ClusterFormationTests
{
    private static ClusterFormationSettings Settings(params string[] overrides) =>
        ClusterFormationSettings.Create(NodeConfig.Load(null, overrides));

    [Fact]
    public void Seed_nodes_is_the_default_and_adds_no_akka_keys()
    {
        var settings = Settings();
        Assert.Equal(FormationMode.SeedNodes, settings.Mode);
        Assert.True(settings.AkkaConfig().IsEmpty);
        Assert.Equal("seed nodes: (self)", settings.Describe());
    }

    [Fact]
    public void Bootstrap_with_config_discovery_lists_the_endpoints_for_akka_discovery()
    {
        var settings = Settings("actorstream.cluster.formation=bootstrap", "actorstream.cluster.bootstrap.contact-points=127.0.0.1:8558, 127.0.0.1:8559",
            "actorstream.cluster.bootstrap.service-name=orders", "actorstream.cluster.bootstrap.stable-margin=2s");
        var akka = settings.AkkaConfig();

        // The management endpoint is advertised at the remoting hostname unless set.
        Assert.Equal("127.0.0.1", akka.GetString("akka.management.http.hostname"));
        Assert.Equal(8558, akka.GetInt("akka.management.http.port"));
        Assert.True(settings.ListsItself);
        Assert.Equal("config", akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        Assert.Equal("orders", akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name"));
        Assert.Equal(2, akka.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.Equal(TimeSpan.FromSeconds(2), akka.GetTimeSpan("akka.management.cluster.bootstrap.contact-point-discovery.stable-margin"));
        Assert.False(akka.GetBoolean("akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
        Assert.Equal(["127.0.0.1:8558", "127.0.0.1:8559"], akka.GetStringList("akka.discovery.config.services.orders.endpoints"));
    }

    [Fact]
    public void Bootstrap_with_kubernetes_discovery_sets_namespace_selector_and_port_name()
    {
        var settings = Settings("actorstream.cluster.formation=bootstrap", "actorstream.cluster.bootstrap.discovery-method=kubernetes-api",
            "actorstream.cluster.management.hostname=10.1.2.3", "actorstream.cluster.bootstrap.kubernetes.namespace=streams",
            "actorstream.cluster.bootstrap.required-contact-point-nr=3");
        var akka = settings.AkkaConfig();
        Assert.Equal("kubernetes-api", akka.GetString("akka.discovery.method"));
        Assert.Equal("10.1.2.3", akka.GetString("akka.management.http.hostname"));
        Assert.Equal("management", akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
        Assert.Equal("streams", akka.GetString("akka.discovery.kubernetes-api.pod-namespace"));
        Assert.Equal("app={0}", akka.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.Equal(3, akka.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    }

    [Theory]
    [InlineData("akka.remote.dot-netty.tcp.hostname=0.0.0.0", "actorstream.cluster.management.hostname is empty and the remoting hostname ('0.0.0.0') is not an address peers can reach")]
    [InlineData("actorstream.cluster.management.hostname=0.0.0.0", "actorstream.cluster.management.hostname: '0.0.0.0' is a wildcard")]
    [InlineData("actorstream.cluster.management.port=http", "actorstream.cluster.management.port: 'http' is not a whole number")]
    [InlineData("actorstream.cluster.bootstrap.required-contact-point-nr=0", "actorstream.cluster.bootstrap.required-contact-point-nr: must be at least 1")]
    [InlineData("actorstream.cluster.bootstrap.stable-margin=soon", "actorstream.cluster.bootstrap.stable-margin: 'soon' is not a duration")]
    [InlineData("actorstream.cluster.bootstrap.service-name=my service", "actorstream.cluster.bootstrap.service-name: 'my service' is not a service name")]
    [InlineData("actorstream.cluster.bootstrap.contact-points=127.0.0.1:1,host-without-port", "actorstream.cluster.bootstrap.contact-points: 'host-without-port' is not a management endpoint")]
    [InlineData("actorstream.cluster.bootstrap.contact-points=127.0.0.1:70000,127.0.0.1:1", "actorstream.cluster.bootstrap.contact-points: '127.0.0.1:70000' is not a management endpoint")]
    public void Invalid_bootstrap_settings_name_the_key(string setting, string expected)
    {
        // The first --set of a key wins (NodeConfig.Load), so the setting under test goes first.
        var error = Assert.Throws<NodeConfigException>(() => Settings(setting, "actorstream.cluster.formation=bootstrap", "actorstream.cluster.bootstrap.contact-points=127.0.0.1:8558,127.0.0.1:8559"));
        Assert.StartsWith(expected, error.Message);
    }

    [Theory]
    [InlineData("actorstream.cluster.bootstrap.kubernetes.pod-label-selector=", "actorstream.cluster.bootstrap.kubernetes.pod-label-selector is empty")]
    [InlineData("actorstream.cluster.bootstrap.kubernetes.management-port-name=", "actorstream.cluster.bootstrap.kubernetes.management-port-name is empty")]
    [InlineData("actorstream.cluster.bootstrap.kubernetes.pod-label-selector=app={1}", "actorstream.cluster.bootstrap.kubernetes.pod-label-selector: 'app={1}' is not a selector format")]
    public void Invalid_kubernetes_settings_name_the_key(string setting, string expected)
    {
        var error = Assert.Throws<NodeConfigException>(() => Settings(setting, "actorstream.cluster.formation=bootstrap", "actorstream.cluster.bootstrap.discovery-method=kubernetes-api"));
        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void Remote_tls_needs_a_certificate_that_exists()
    {
        static void Check(params string[] overrides) => RemoteTls.Validate(NodeConfig.Load(null, overrides));

        Check("akka.remote.dot-netty.tcp.enable-ssl=off");
        Assert.StartsWith("akka.remote.dot-netty.tcp.enable-ssl = on, but no certificate is configured",
            Assert.Throws<NodeConfigException>(() => Check("akka.remote.dot-netty.tcp.enable-ssl=on")).Message);
        Assert.Equal("akka.remote.dot-netty.tcp.ssl.certificate.path: certificate file '/nonexistent/node.pfx' does not exist",
            Assert.Throws<NodeConfigException>(() => Check("akka.remote.dot-netty.tcp.enable-ssl=on", "akka.remote.dot-netty.tcp.ssl.certificate.path=/nonexistent/node.pfx")).Message);
        Assert.StartsWith("akka.remote.dot-netty.tcp.enable-ssl = on and akka.remote.dot-netty.tcp.ssl.certificate.use-thumbprint-over-file = on, but akka.remote.dot-netty.tcp.ssl.certificate.thumbprint is empty",
            Assert.Throws<NodeConfigException>(() => Check("akka.remote.dot-netty.tcp.enable-ssl=on", "akka.remote.dot-netty.tcp.ssl.certificate.use-thumbprint-over-file=on")).Message);
        Assert.Equal("akka.remote.dot-netty.tcp.enable-ssl: 'maybe' is not a switch; allowed: on, off",
            Assert.Throws<NodeConfigException>(() => Check("akka.remote.dot-netty.tcp.enable-ssl=maybe")).Message);

        var certificate = Path.Combine(Path.GetTempPath(), $"node-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(certificate, [0]);
        try
        {
            Check("akka.remote.dot-netty.tcp.enable-ssl=on", $"akka.remote.dot-netty.tcp.ssl.certificate.path={certificate}");
        }
        finally
        {
            File.Delete(certificate);
        }
    }

    /// <summary>
    /// The kubernetes-api discovery method, configured by our settings, runs its lookup for real
    /// against a fake API server: HTTPS verified with the CA file, bearer token from the token file,
    /// namespace, label selector, and the management port picked by its name; pending pods are skipped.
    /// </summary>
    [Fact]
    public async Task Kubernetes_api_discovery_lists_the_running_pods_with_their_management_port()
    {
        var requests = new ConcurrentQueue<(string Path, string? Selector, string? Authorization)>();
        var directory = Directory.CreateTempSubdirectory("actorstream-k8s-").FullName;
        var ca = Path.Combine(directory, "ca.crt");
        await using var api = await FakeKubernetesApi.StartAsync(requests, ca, Pods);
        var token = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(token, "test-token\n");
        var hostVariable = $"ACTORSTREAM_TEST_K8S_HOST_{Guid.NewGuid():N}";
        var portVariable = $"ACTORSTREAM_TEST_K8S_PORT_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(hostVariable, "127.0.0.1");
        Environment.SetEnvironmentVariable(portVariable, api.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var settings = Settings("actorstream.cluster.formation=bootstrap", "actorstream.cluster.bootstrap.discovery-method=kubernetes-api",
                "actorstream.cluster.bootstrap.service-name=actorstream", "actorstream.cluster.bootstrap.kubernetes.namespace=streams");
            var config = settings.AkkaConfig().WithFallback(ConfigurationFactory.ParseString($$"""
                akka.discovery.kubernetes-api {
                  api-service-host-env-name = "{{hostVariable}}"
                  api-service-port-env-name = "{{portVariable}}"
                  api-token-path = "{{token}}"
                  api-ca-path = "{{ca}}"
                }
                akka.loglevel = WARNING
                """));
            using var system = ActorSystem.Create("k8s-discovery-test", config);
            try
            {
                var discovery = Discovery.Get(system).LoadServiceDiscovery("kubernetes-api");
                var resolved = await discovery.Lookup(new Lookup("actorstream", "management", "tcp"), TimeSpan.FromSeconds(10));

                Assert.Equal(["10.0.0.1:8558", "10.0.0.2:8558"], resolved.Addresses.Select(a => $"{a.Host}:{a.Port}").Order());
                var request = Assert.Single(requests);
                Assert.Equal("/api/v1/namespaces/streams/pods", request.Path);
                Assert.Equal("app=actorstream", request.Selector);
                Assert.Equal("Bearer test-token", request.Authorization);

                // Without the CA the server's self-signed certificate is refused.
                File.Delete(ca);
                using var untrusting = ActorSystem.Create("k8s-discovery-test-no-ca", config);
                var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
                    Discovery.Get(untrusting).LoadServiceDiscovery("kubernetes-api").Lookup(new Lookup("actorstream", "management", "tcp"), TimeSpan.FromSeconds(10)));
                Assert.Contains("cannot reach the Kubernetes API at 127.0.0.1", refused.Message);
                await untrusting.Terminate();
            }
            finally
            {
                await system.Terminate();
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(hostVariable, null);
            Environment.SetEnvironmentVariable(portVariable, null);
            Directory.Delete(directory, recursive: true);
        }
    }

    private const string Pods = """
        {"apiVersion":"v1","kind":"PodList","metadata":{},"items":[
          {"metadata":{"name":"actorstream-0","namespace":"streams","labels":{"app":"actorstream"}},
           "spec":{"containers":[{"name":"actorstream","ports":[{"name":"http","containerPort":9190},{"name":"management","containerPort":8558},{"name":"remoting","containerPort":4053}]}]},
           "status":{"phase":"Running","podIP":"10.0.0.1"}},
          {"metadata":{"name":"actorstream-1","namespace":"streams","labels":{"app":"actorstream"}},
           "spec":{"containers":[{"name":"actorstream","ports":[{"name":"http","containerPort":9190},{"name":"management","containerPort":8558},{"name":"remoting","containerPort":4053}]}]},
           "status":{"phase":"Running","podIP":"10.0.0.2"}},
          {"metadata":{"name":"actorstream-2","namespace":"streams","labels":{"app":"actorstream"}},
           "spec":{"containers":[{"name":"actorstream","ports":[{"name":"management","containerPort":8558}]}]},
           "status":{"phase":"Pending"}},
          {"metadata":{"name":"actorstream-3","namespace":"streams","labels":{"app":"actorstream"},"deletionTimestamp":"2026-01-01T00:00:00Z"},
           "spec":{"containers":[{"name":"actorstream","ports":[{"name":"management","containerPort":8558}]}]},
           "status":{"phase":"Running","podIP":"10.0.0.3"}}
        ]}
        """;

    [Fact]
    public async Task Kubernetes_api_discovery_without_the_api_address_says_which_variables()
    {
        var settings = Settings("actorstream.cluster.formation=bootstrap", "actorstream.cluster.bootstrap.discovery-method=kubernetes-api");
        var config = settings.AkkaConfig().WithFallback(ConfigurationFactory.ParseString("""
            akka.discovery.kubernetes-api.api-service-host-env-name = "ACTORSTREAM_TEST_UNSET_HOST"
            akka.loglevel = WARNING
            """));
        using var system = ActorSystem.Create("k8s-discovery-unset", config);
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() =>
                Discovery.Get(system).LoadServiceDiscovery("kubernetes-api").Lookup(new Lookup("actorstream", "management", "tcp"), TimeSpan.FromSeconds(5)));
            Assert.StartsWith("the Kubernetes API address is not set: environment variables ACTORSTREAM_TEST_UNSET_HOST / KUBERNETES_SERVICE_PORT are empty", error.Message);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
