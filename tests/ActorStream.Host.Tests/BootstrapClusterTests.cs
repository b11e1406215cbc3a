using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>
/// Cluster formation through Akka.Management's Cluster Bootstrap: two `actorstream run` processes
/// without seed nodes form one cluster; bad formation settings are refused by name.
/// </summary>
public sealed class BootstrapClusterTests
{
    private static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Two nodes, no seed nodes: with <c>config</c> each is told the list of both management endpoints;
    /// with <c>kubernetes-api</c> each asks a fake Kubernetes API, which lists two running pods on
    /// 127.0.0.1 whose container ports named "management" are the two endpoints.
    /// </summary>
    [Theory]
    [InlineData("config")]
    [InlineData("kubernetes-api")]
    public async Task Two_nodes_form_one_cluster_through_cluster_bootstrap(string discoveryMethod)
    {
        var started = Stopwatch.StartNew();
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:8", "--topic", "accounts.balances:8", "--topic", "accounts.dlq:8");
        var sample = Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");
        var state = Path.Combine(Path.GetTempPath(), $"actorstream-bootstrap-{Guid.NewGuid():N}");
        Directory.CreateDirectory(state);
        var (managementA, managementB) = (Actorstream.FreePort(), Actorstream.FreePort());
        var kubernetes = discoveryMethod == "kubernetes-api";
        var requests = new ConcurrentQueue<(string Path, string? Selector, string? Authorization)>();
        var ca = Path.Combine(state, "ca.crt");
        var token = Path.Combine(state, "token");
        await File.WriteAllTextAsync(token, "node-token");
        await using var api = kubernetes ? await FakeKubernetesApi.StartAsync(requests, ca, PodList(managementA, managementB)) : null;
        Dictionary<string, string?> Environment(int managementPort) => new()
        {
            ["KAFKA_BOOTSTRAP_SERVERS"] = kafka.BootstrapServers,
            ["ACTORSTREAM_SEED_NODES"] = null,
            // Remoting on any free port: bootstrap learns the remoting addresses over the management endpoints.
            ["ACTORSTREAM_REMOTE_PORT"] = "0",
            ["ACTORSTREAM_CLUSTER_FORMATION"] = "bootstrap",
            ["ACTORSTREAM_DISCOVERY_METHOD"] = discoveryMethod,
            ["ACTORSTREAM_BOOTSTRAP_SERVICE_NAME"] = "actorstream-test",
            ["ACTORSTREAM_REQUIRED_CONTACT_POINTS"] = "2",
            ["ACTORSTREAM_MANAGEMENT_PORT"] = managementPort.ToString(CultureInfo.InvariantCulture),
            ["ACTORSTREAM_CONTACT_POINTS"] = kubernetes ? null : $"127.0.0.1:{managementA},127.0.0.1:{managementB}",
            ["ACTORSTREAM_KUBERNETES_NAMESPACE"] = kubernetes ? "streams" : null,
            ["KUBERNETES_SERVICE_HOST"] = kubernetes ? "127.0.0.1" : null,
            ["KUBERNETES_SERVICE_PORT"] = api?.Port.ToString(CultureInfo.InvariantCulture),
        };

        // Short bootstrap timings keep the test fast (production keeps 5 s stable-margin and probe-interval);
        // the probe interval is an Akka.Management key passed through as is.
        string[] Arguments() => ["run", "--config", sample, "--set", $"actorstream.persistence.sqlite.path={Path.Combine(state, "state.db")}",
            "--set", "actorstream.cluster.bootstrap.stable-margin=1s",
            "--set", "akka.management.cluster.bootstrap.contact-point.probe-interval=1s",
            "--set", "actorstream.kafka.consumer.properties.\"session.timeout.ms\"=6000", "--set", "actorstream.kafka.consumer.properties.\"heartbeat.interval.ms\"=500",
            // The service account's files, as a pod would have them.
            "--set", $"akka.discovery.kubernetes-api.api-ca-path={ca}", "--set", $"akka.discovery.kubernetes-api.api-token-path={token}"];

        using var a = Actorstream.Start(Environment(managementA), Arguments());
        using var b = Actorstream.Start(Environment(managementB), Arguments());
        var logA = Drain(a);
        var logB = Drain(b);
        string Logs() => $"node A:\n{Tail(logA)}\nnode B:\n{Tail(logB)}";
        try
        {
            var urlA = await HttpUrlAsync(logA, a, Logs);
            var urlB = await HttpUrlAsync(logB, b, Logs);
            var formedAfter = started.Elapsed;

            // Both nodes report the same two Up members.
            foreach (var url in new[] { urlA, urlB })
            {
                var (exit, status, errors) = await Actorstream.RunAsync("cluster", "status", "--node", url);
                Assert.True(exit == 0, errors);
                Assert.True(Regex.Matches(status, @"^akka\.tcp://actorstream@127\.0\.0\.1:\d+\s+Up\b", RegexOptions.Multiline).Count == 2, $"{status}\n{Logs()}");
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var clusterA = JsonDocument.Parse(await http.GetStringAsync($"{urlA}/api/cluster"));
            using var clusterB = JsonDocument.Parse(await http.GetStringAsync($"{urlB}/api/cluster"));
            var selfA = clusterA.RootElement.GetProperty("self").GetString();
            var selfB = clusterB.RootElement.GetProperty("self").GetString();
            Assert.NotEqual(selfA, selfB);
            Assert.Equal(
                new[] { selfA, selfB }.Order(),
                clusterA.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()).Order());

            // Both management endpoints serve Cluster Bootstrap's contact-point route on the configured
            // ports, in Akka.Management's JSON: the node itself and the two members.
            foreach (var port in new[] { managementA, managementB })
            {
                using var seeds = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/bootstrap/seed-nodes"));
                Assert.True(seeds.RootElement.GetProperty("SelfNode").GetProperty("Host").GetString() == "127.0.0.1", seeds.RootElement.ToString());
                Assert.True(seeds.RootElement.GetProperty("Nodes").GetArrayLength() == 2, seeds.RootElement.ToString());
            }

            // Exactly one node formed the cluster (the lowest contact point); the other joined it.
            Assert.True(logA.Concat(logB).Count(l => l.Contains("Initiating new cluster, self-joining", StringComparison.Ordinal)) == 1, Logs());
            Assert.Contains(logA.Concat(logB), l => l.Contains($"Cluster formation: bootstrap via {discoveryMethod} discovery", StringComparison.Ordinal));
            if (kubernetes)
            {
                Assert.NotEmpty(requests);
                Assert.All(requests, r => Assert.Equal(("/api/v1/namespaces/streams/pods", "app=actorstream-test", "Bearer node-token"), r));
            }

            Console.WriteLine($"bootstrap ({discoveryMethod}): both nodes Up and serving after {formedAfter.TotalSeconds:F1} s (including broker and process start)");
        }
        finally
        {
            Actorstream.StopGracefully(b);
            Actorstream.StopGracefully(a);

            Directory.Delete(state, recursive: true);
        }
    }

    [Theory]
    [InlineData("ACTORSTREAM_CLUSTER_FORMATION", "bootstap", "ACTORSTREAM_CLUSTER_FORMATION: 'bootstap' is not a formation; allowed: seed-nodes, bootstrap")]
    [InlineData("ACTORSTREAM_DISCOVERY_METHOD", "dns", "ACTORSTREAM_DISCOVERY_METHOD: 'dns' is not a discovery method; allowed: config, kubernetes-api")]
    [InlineData("ACTORSTREAM_MANAGEMENT_PORT", "0", "ACTORSTREAM_MANAGEMENT_PORT: must be 1 to 65535")]
    [InlineData("ACTORSTREAM_CONTACT_POINTS", "127.0.0.1", "ACTORSTREAM_CONTACT_POINTS: '127.0.0.1' is not a management endpoint; expected host:port")]
    public async Task A_bad_formation_variable_is_named_with_the_allowed_values(string variable, string value, string expected)
    {
        var (exit, stdout, stderr) = await RunNodeAsync(new() { ["ACTORSTREAM_CLUSTER_FORMATION"] = "bootstrap", [variable] = value });
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("Exception", stderr + stdout);
    }

    [Theory]
    [InlineData("actorstream.cluster.formation=gossip", "actorstream.cluster.formation: 'gossip' is not a formation; allowed: seed-nodes, bootstrap")]
    [InlineData("actorstream.cluster.bootstrap.discovery-method=dns", "actorstream.cluster.bootstrap.discovery-method: 'dns' is not a discovery method; allowed: config, kubernetes-api")]
    [InlineData("actorstream.cluster.management.port=0", "actorstream.cluster.management.port: must be 1 to 65535 with formation = bootstrap (got 0)")]
    [InlineData("actorstream.cluster.bootstrap.contact-points=", "actorstream.cluster.bootstrap.contact-points is empty, but actorstream.cluster.bootstrap.discovery-method = config")]
    [InlineData("actorstream.cluster.bootstrap.contact-points=127.0.0.1:8558", "actorstream.cluster.bootstrap.contact-points lists 1 distinct endpoint(s), fewer than actorstream.cluster.bootstrap.required-contact-point-nr = 2")]
    [InlineData("akka.remote.dot-netty.tcp.enable-ssl=on", "akka.remote.dot-netty.tcp.enable-ssl = on, but no certificate is configured: set akka.remote.dot-netty.tcp.ssl.certificate.path")]
    public async Task A_bad_formation_key_is_named_with_the_allowed_values(string set, string expected)
    {
        var (exit, stdout, stderr) = await RunNodeAsync(new() { ["ACTORSTREAM_CLUSTER_FORMATION"] = "bootstrap", ["ACTORSTREAM_CONTACT_POINTS"] = "127.0.0.1:18558,127.0.0.1:18559" }, "--set", set);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("Exception", stderr + stdout);
    }

    [Fact]
    public async Task Seed_nodes_and_bootstrap_together_are_refused()
    {
        var (exit, _, stderr) = await RunNodeAsync(new()
        {
            ["ACTORSTREAM_CLUSTER_FORMATION"] = "bootstrap",
            ["ACTORSTREAM_CONTACT_POINTS"] = "127.0.0.1:18558,127.0.0.1:18559",
            ["ACTORSTREAM_SEED_NODES"] = "akka.tcp://actorstream@127.0.0.1:4053",
        });
        Assert.Equal(2, exit);
        Assert.Contains("actorstream.cluster.formation = bootstrap, but seed nodes are set (akka.cluster.seed-nodes / ACTORSTREAM_SEED_NODES: akka.tcp://actorstream@127.0.0.1:4053)", stderr);
    }

    [Fact]
    public async Task Seed_node_addresses_may_use_the_tls_scheme()
    {
        // With remoting TLS on, node addresses are akka.ssl.tcp://; the variable accepts them (this
        // run stops at the formation check, after the variable was read).
        var (exit, _, stderr) = await RunNodeAsync(new()
        {
            ["ACTORSTREAM_CLUSTER_FORMATION"] = "bootstrap",
            ["ACTORSTREAM_CONTACT_POINTS"] = "127.0.0.1:18558,127.0.0.1:18559",
            ["ACTORSTREAM_SEED_NODES"] = "akka.ssl.tcp://actorstream@127.0.0.1:4053",
        });
        Assert.Equal(2, exit);
        Assert.Contains("seed nodes are set (akka.cluster.seed-nodes / ACTORSTREAM_SEED_NODES: akka.ssl.tcp://actorstream@127.0.0.1:4053)", stderr);
    }

    /// <summary>Two running pods on 127.0.0.1 whose "management" container ports are the nodes' endpoints.</summary>
    private static string PodList(int managementA, int managementB)
    {
        static object Pod(string name, int management) => new
        {
            metadata = new { name, @namespace = "streams", labels = new { app = "actorstream-test" } },
            spec = new
            {
                containers = new[]
                {
                    new { name = "actorstream", ports = new[] { new { name = "http", containerPort = 9190 }, new { name = "management", containerPort = management } } },
                },
            },
            status = new { phase = "Running", podIP = "127.0.0.1" },
        };
        return JsonSerializer.Serialize(new { apiVersion = "v1", kind = "PodList", items = new[] { Pod("actorstream-0", managementA), Pod("actorstream-1", managementB) } });
    }

    /// <summary>A node that fails its configuration check before touching Kafka (the address is never dialled).</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(Dictionary<string, string?> environment, params string[] extra)
    {
        var sample = Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");
        environment.TryAdd("KAFKA_BOOTSTRAP_SERVERS", null);
        environment.TryAdd("ACTORSTREAM_SEED_NODES", null);
        return Actorstream.RunWithEnvironmentAsync(environment, ["run", "--config", sample, "--set", "actorstream.kafka.bootstrap-servers=127.0.0.1:1", .. extra]);
    }

    /// <summary>Keeps both streams drained into one log (stderr: the node's lines; stdout: Akka's).</summary>
    private static ConcurrentQueue<string> Drain(Process process)
    {
        var log = new ConcurrentQueue<string>();
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                log.Enqueue(line);
            }
        });
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                log.Enqueue(line);
            }
        });
        return log;
    }

    /// <summary>Waits (bounded) for the node's "HTTP endpoints at" line, which follows its becoming an Up member.</summary>
    private static async Task<string> HttpUrlAsync(ConcurrentQueue<string> log, Process process, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + FormationTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (log.Select(l => Regex.Match(l, @"HTTP endpoints at (http://\S+):")).FirstOrDefault(m => m.Success) is { } match)
            {
                return match.Groups[1].Value.TrimEnd('/');
            }

            if (process.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"node exited with {process.ExitCode} before it became Up:\n{diagnostics()}");
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException($"no node Up within {FormationTimeout.TotalSeconds} s:\n{diagnostics()}");
    }

    private static string Tail(ConcurrentQueue<string> log) => string.Join("\n", log.TakeLast(60));
}
