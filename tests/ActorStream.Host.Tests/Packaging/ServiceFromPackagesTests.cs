using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.Host.Tests.Packaging;

/// <summary>
/// A new user's path, from packages only: the solution is packed into a temporary folder; the
/// <c>actorstream</c> tool is installed from it; <c>dotnet new actorstream-service</c> (template from
/// the same pack) creates a service; an entity of the user's own with a constructor dependency is
/// added; the service is built and its generated tests pass; two instances form one cluster against
/// <c>actorstream kafka</c>, process records produced with kcat in per-key order, serve health,
/// metrics and the API, show in <c>actorstream cluster status</c>, fire the lag alert for a paused
/// pipeline, and drain on SIGTERM. Slow by nature (pack, restore, two builds): one test.
/// </summary>
public sealed partial class ServiceFromPackagesTests : IDisposable
{
    private const int Shipments = 10;
    private const int PerShipment = 20;
    private const string AdminToken = "e2e-admin-token";

    private readonly string _work = Directory.CreateTempSubdirectory("actorstream-packages-").FullName;
    private readonly string _version = $"0.1.0-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill(entireProcessTree: true);
        }

        // The pack's version is unique to this run: its copies in the global package cache serve nobody.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "actorstream", "actorstream.core", "actorstream.kafka", "actorstream.hosting", "actorstream.testkit", "actorstream.schemaregistry", "actorstream.templates" })
        {
            TryDelete(Path.Combine(cache, id, _version.ToLowerInvariant()));
        }

        TryDelete(_work);
    }

    [SkippableFact]
    public async Task A_service_of_your_own_entity_from_the_packed_packages_runs_as_a_two_node_cluster()
    {
        var kcat = FindKcat();
        var clock = Stopwatch.StartNew();
        var timings = new List<string>();
        void Mark(string step) => timings.Add($"{step}: {clock.Elapsed.TotalSeconds:0}s");

        // 1. Pack, as the README says (plus an artifacts path, so the repository's own bin/obj stay untouched).
        var packages = Path.Combine(_work, "packages");
        await DotnetAsync(Actorstream.RepositoryRoot, TimeSpan.FromMinutes(15), "pack", Path.Combine(Actorstream.RepositoryRoot, "ActorStream.sln"),
            "-c", "Release", "-o", packages, "--artifacts-path", Path.Combine(_work, "artifacts"), $"-p:Version={_version}");
        var packed = Directory.GetFiles(packages).Select(Path.GetFileName).ToList();
        foreach (var id in new[] { "ActorStream.Kafka", "ActorStream.Core", "ActorStream.Hosting", "ActorStream.TestKit", "ActorStream.SchemaRegistry", "actorstream", "ActorStream.Templates" })
        {
            Assert.Contains($"{id}.{_version}.nupkg", packed);
        }

        Assert.Contains($"ActorStream.Hosting.{_version}.snupkg", packed);
        Assert.DoesNotContain(packed, p => p!.Contains("Tests", StringComparison.Ordinal) || p.Contains("Benchmarks", StringComparison.Ordinal));
        Mark("pack");

        // 2. The CLI as a .NET tool, from the folder.
        var tools = Path.Combine(_work, "tools");
        await DotnetAsync(_work, TimeSpan.FromMinutes(5), "tool", "install", "actorstream", "--tool-path", tools, "--add-source", packages, "--version", _version);
        var actorstream = Path.Combine(tools, "actorstream");
        Assert.True(File.Exists(actorstream), "the tool installs an actorstream command");

        // 3. The template, into a hive of its own (the machine's template list stays as it was).
        var hive = Path.Combine(_work, "hive");
        await DotnetAsync(_work, TimeSpan.FromMinutes(3), "new", "install", Path.Combine(packages, $"ActorStream.Templates.{_version}.nupkg"), "--debug:custom-hive", hive);
        var service = Path.Combine(_work, "Orders");
        await DotnetAsync(_work, TimeSpan.FromMinutes(3), "new", "actorstream-service", "-n", "Orders", "-o", service, "--package-source", packages, "--debug:custom-hive", hive);
        Assert.True(File.Exists(Path.Combine(service, "src", "Orders", "Orders.csproj")));
        Assert.True(File.Exists(Path.Combine(service, "Containerfile")));
        Assert.Contains(_version, await File.ReadAllTextAsync(Path.Combine(service, "Directory.Build.props")));
        Mark("tool and template");

        // 4. The generated service builds and its tests (EntityProbe, EmbeddedKafka) pass, from the packages.
        await DotnetAsync(service, TimeSpan.FromMinutes(15), "test", "Orders.slnx", "-c", "Release");
        Mark("generated tests");

        // 5. An entity of our own with a constructor dependency: one class, one registration, one pipeline; built.
        AddShipmentEntity(Path.Combine(service, "src", "Orders"));
        await DotnetAsync(service, TimeSpan.FromMinutes(10), "build", "src/Orders/Orders.csproj", "-c", "Release");
        Mark("own entity built");

        // 6. The broker in its own process, from the installed tool.
        await using var kafka = await EmbeddedKafkaProcess.StartAsync(actorstream,
            topics: [("orders", 8), ("orders.totals", 8), ("orders.dlq", 8), ("shipments", 4), ("shipments.costs", 4), ("shipments.dlq", 4)]);

        // 7. Two instances of the service, one cluster (the first node is the seed).
        var dll = Path.Combine(service, "src", "Orders", "bin", "Release", "net10.0", "Orders.dll");
        var seedPort = Actorstream.FreePort();
        var a = await StartNodeAsync("a", dll, kafka.BootstrapServers, seedPort, seedPort);
        var b = await StartNodeAsync("b", dll, kafka.BootstrapServers, Actorstream.FreePort(), seedPort);
        foreach (var node in new[] { a, b })
        {
            await Actorstream.EventuallyAsync(async () => (await node.GetAsync("/health/ready")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(120),
                $"node {node.Name} is ready", () => $"{node.GetAsync("/health/ready").Result.Body}\n{node.Log}");
        }

        Mark("two nodes ready");

        // 8. Records from kcat, keyed by shipment: processed by our entity, in per-key order, every one once.
        await ProduceWithKcatAsync(kcat, kafka.BootstrapServers, Enumerable.Range(1, PerShipment));
        var costs = await ReadToEndAsync(kafka.BootstrapServers, "shipments.costs", Shipments * PerShipment, TimeSpan.FromSeconds(90));
        CheckCosts(costs, PerShipment);
        Mark("records processed");

        // 9. Each node: metrics with the pipeline's counters, the pipelines API; the cluster from the tool.
        var processed = 0.0;
        foreach (var node in new[] { a, b })
        {
            var metrics = (await node.GetAsync("/metrics")).Body;
            Assert.Matches(@"actorstream_record_processing_duration_seconds_count\{[^}]*outcome=""processed"",pipeline=""shipments""\} [1-9]", metrics);
            processed += Sum(metrics, "actorstream_records_processed_records_total");
            using var pipelines = JsonDocument.Parse((await node.GetAsync("/api/pipelines")).Body);
            Assert.Equal(["orders", "shipments"], pipelines.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order());
        }

        Assert.True(processed >= Shipments * PerShipment, $"the nodes counted {processed} processed shipment records");
        var (statusExit, status, statusErrors) = await RunAsync(actorstream, ["cluster", "status", "--node", a.Url], _work, [], TimeSpan.FromSeconds(60));
        Assert.True(statusExit == 0, $"cluster status: {statusErrors}");
        Assert.Equal(2, Regex.Matches(status, @"^akka\.tcp://actorstream@127\.0\.0\.1:\d+\s+Up\b", RegexOptions.Multiline).Count);

        // 10. Paused on both nodes, with records arriving: the lag alert fires (marked as a pause).
        foreach (var node in new[] { a, b })
        {
            var (pauseExit, _, pauseErrors) = await RunAsync(actorstream, ["pipelines", "pause", "shipments", "--node", node.Url], _work,
                new() { ["ACTORSTREAM_ADMIN_TOKEN"] = AdminToken }, TimeSpan.FromSeconds(60));
            Assert.True(pauseExit == 0, $"pause on {node.Name}: {pauseErrors}");
        }

        await ProduceWithKcatAsync(kcat, kafka.BootstrapServers, Enumerable.Range(PerShipment + 1, 5));
        string? lagAlert = null;
        await Actorstream.EventuallyAsync(async () => (lagAlert = FiringLagAlert((await a.GetAsync("/api/alerts")).Body)) is not null,
            TimeSpan.FromSeconds(60), "the lag-above alert fires for the paused pipeline", () => $"{a.GetAsync("/api/alerts").Result.Body}\n{a.GetAsync("/api/lag").Result.Body}");
        Assert.Contains("paused by an operator", lagAlert);
        foreach (var node in new[] { a, b })
        {
            var (resumeExit, _, resumeErrors) = await RunAsync(actorstream, ["pipelines", "resume", "shipments", "--node", node.Url], _work,
                new() { ["ACTORSTREAM_ADMIN_TOKEN"] = AdminToken }, TimeSpan.FromSeconds(60));
            Assert.True(resumeExit == 0, $"resume on {node.Name}: {resumeErrors}");
        }

        CheckCosts(await ReadToEndAsync(kafka.BootstrapServers, "shipments.costs", Shipments * (PerShipment + 5), TimeSpan.FromSeconds(90)), PerShipment + 5);
        Mark("lag alert");

        // 11. SIGTERM: each node drains and exits 0; every offset of the group is committed.
        foreach (var node in new[] { b, a })
        {
            Actorstream.Terminate(node.Process);
            Assert.True(node.Process.WaitForExit(TimeSpan.FromSeconds(60)), $"node {node.Name} exits within 60 s of SIGTERM\n{node.Log}");
            Assert.True(node.Process.ExitCode == 0, $"node {node.Name} exit code {node.Process.ExitCode}\n{node.Log}");
            Assert.Contains("Pipeline shipments stopped; processed offsets committed", node.Log);
        }

        Assert.Equal(EndOffsets(kafka.BootstrapServers, "shipments"), Committed(kafka.BootstrapServers, "shipments", "shipments"));
        Mark("drained");

        // The duration of each step, for whoever wonders why this test takes minutes.
        Console.WriteLine($"{nameof(ServiceFromPackagesTests)}: {string.Join(", ", timings)}");
    }

    /// <summary>The sum of a Prometheus counter's series.</summary>
    private static double Sum(string metrics, string name) =>
        Regex.Matches(metrics, $@"^{Regex.Escape(name)}(\{{[^}}]*\}})? (\S+)", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    /// <summary>The message of the firing lag-above alert of the shipments pipeline in an /api/alerts answer, if there is one.</summary>
    private static string? FiringLagAlert(string alerts)
    {
        using var json = JsonDocument.Parse(alerts);
        return json.RootElement.GetProperty("firing").EnumerateArray()
            .Where(a => a.GetProperty("rule").GetString() == "LAG_ABOVE" && a.GetProperty("pipeline").GetString() == "shipments")
            .Select(a => a.GetProperty("message").GetString())
            .FirstOrDefault();
    }

    /// <summary>The user's own entity: shipment weights → costs from an injected rate table.</summary>
    private static void AddShipmentEntity(string project)
    {
        File.WriteAllText(Path.Combine(project, "ShipmentEntity.cs"), """
            using ActorStream.Entities;

            namespace Orders;

            public sealed record ShipmentWeighed(string ShipmentId, long Seq, decimal WeightKg);

            public sealed record ShipmentCost(string ShipmentId, long Seq, decimal Cost);

            public interface IShippingRates
            {
                decimal CostOf(decimal weightKg);
            }

            public sealed class ShippingRates : IShippingRates
            {
                public decimal CostOf(decimal weightKg) => 4m + 1.5m * weightKg;
            }

            public sealed class ShipmentEntity(IShippingRates rates) : RecordEntity<ShipmentWeighed>
            {
                protected override Task HandleAsync(ShipmentWeighed value, RecordContext context)
                {
                    context.Emit("shipments.costs", EntityId, new ShipmentCost(EntityId, value.Seq, rates.CostOf(value.WeightKg)));
                    return Task.CompletedTask;
                }
            }
            """);

        var setup = Path.Combine(project, "ServiceSetup.cs");
        var code = File.ReadAllText(setup);
        Assert.Contains(".AddEntity<OrderEntity>()", code);
        code = code
            .Replace("builder.Services.AddSingleton<IPriceList, PriceList>();", "builder.Services.AddSingleton<IPriceList, PriceList>();\n        builder.Services.AddSingleton<IShippingRates, ShippingRates>();", StringComparison.Ordinal)
            .Replace(".AddEntity<OrderEntity>()", ".AddEntity<OrderEntity>()\n            .AddEntity<ShipmentEntity>()", StringComparison.Ordinal);
        File.WriteAllText(setup, code);

        File.AppendAllText(Path.Combine(project, "service.conf"), """

            actorstream.topics {
              shipments { partitions = 4 }
              "shipments.costs" { partitions = 4 }
              "shipments.dlq" { partitions = 4 }
            }
            actorstream.pipelines.shipments {
              topic = "shipments"
              entity = "Shipment"
              emit-topics = ["shipments.costs"]
            }
            """);
    }

    private async Task<ServiceNode> StartNodeAsync(string name, string dll, string bootstrap, int remotePort, int seedPort)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_work, $"node-{name}")).FullName;
        var environment = new Dictionary<string, string?>
        {
            ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap,
            ["ACTORSTREAM_REMOTE_PORT"] = remotePort.ToString(CultureInfo.InvariantCulture),
            ["ACTORSTREAM_SEED_NODES"] = $"akka.tcp://actorstream@127.0.0.1:{seedPort}",
            ["ACTORSTREAM_HTTP_PORT"] = "0",
            ["ACTORSTREAM_ADMIN_TOKEN"] = AdminToken,
            // .NET configuration keys, mapped onto actorstream.*: a short consumer session (members
            // join and leave quickly on the mock broker), lag read every second, a low lag alert.
            ["ActorStream__Kafka__Consumer__Properties__session.timeout.ms"] = "6000",
            ["ActorStream__Kafka__Consumer__Properties__heartbeat.interval.ms"] = "500",
            ["ActorStream__Monitoring__LagInterval"] = "1s",
            ["ActorStream__Monitoring__Alerts__LagAbove__Threshold"] = "3",
            ["ActorStream__Monitoring__Alerts__LagAbove__For"] = "2s",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        var process = StartProcess("dotnet", [dll], directory, environment);
        _processes.Add(process);
        var node = new ServiceNode(name, process);
        node.Url = await node.UrlTask.WaitAsync(TimeSpan.FromSeconds(120)).ContinueWith(t => t.IsCompletedSuccessfully
            ? t.Result
            : throw new Xunit.Sdk.XunitException($"node {name} did not serve HTTP:\n{node.Log}"));
        return node;
    }

    private static async Task ProduceWithKcatAsync(string kcat, string bootstrap, IEnumerable<int> seqs)
    {
        var lines = new StringBuilder();
        foreach (var seq in seqs)
        {
            for (var s = 1; s <= Shipments; s++)
            {
                lines.Append(CultureInfo.InvariantCulture, $"s-{s}|{{\"shipmentId\":\"s-{s}\",\"seq\":{seq},\"weightKg\":{s}.5}}\n");
            }
        }

        var (exit, _, errors) = await RunAsync(kcat, ["-b", bootstrap, "-P", "-t", "shipments", "-K|", "-X", "partitioner=murmur2_random"], null, [], TimeSpan.FromSeconds(60), lines.ToString());
        Assert.True(exit == 0, $"kcat -P failed ({exit}): {errors}");
    }

    /// <summary>Every shipment's costs in seq order 1..n, each once, each the rate of its weight.</summary>
    private static void CheckCosts(IReadOnlyList<(string Key, string Value)> records, int perShipment)
    {
        var bySeq = records.Select(r => (r.Key, Cost: JsonDocument.Parse(r.Value).RootElement)).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Shipments, bySeq.Count);
        foreach (var (key, costs) in bySeq)
        {
            var s = int.Parse(key[2..], CultureInfo.InvariantCulture);
            Assert.Equal(Enumerable.Range(1, perShipment).Select(i => (long)i), costs.Select(c => c.Cost.GetProperty("seq").GetInt64()));
            Assert.All(costs, c => Assert.Equal(4m + (1.5m * (s + 0.5m)), c.Cost.GetProperty("cost").GetDecimal()));
        }
    }

    /// <summary>Reads a topic from the start until <paramref name="expected"/> records, then checks that nothing more is there.</summary>
    private static async Task<List<(string Key, string Value)>> ReadToEndAsync(string bootstrap, string topic, int expected, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"e2e-reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        var deadline = Stopwatch.StartNew();
        List<(string, string)> records = [];
        while (deadline.Elapsed < timeout)
        {
            var ends = EndOffsets(bootstrap, topic);
            if (ends.Values.Sum() >= expected)
            {
                consumer.Assign(ends.Keys.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
                records = [];
                var remaining = ends.Where(e => e.Value > 0).ToDictionary(e => e.Key, e => e.Value);
                while (remaining.Count > 0 && deadline.Elapsed < timeout)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r)
                    {
                        records.Add((r.Message.Key, r.Message.Value));
                        if (r.Offset.Value >= remaining.GetValueOrDefault(r.Partition.Value) - 1)
                        {
                            remaining.Remove(r.Partition.Value);
                        }
                    }
                }

                break;
            }

            await Task.Delay(250);
        }

        Assert.True(records.Count == expected, $"{topic}: {records.Count} records, expected exactly {expected}");
        return records;
    }

    private static Dictionary<int, long> EndOffsets(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "e2e-end-offsets" }).Build();
        return Enumerable.Range(0, 4).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    private static Dictionary<int, long> Committed(string bootstrap, string group, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group }).Build();
        return consumer.Committed(Enumerable.Range(0, 4).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .ToDictionary(c => c.Partition.Value, c => Math.Max(0, c.Offset.Value));
    }

    private static async Task DotnetAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var (exit, stdout, stderr) = await RunAsync(Dotnet, arguments, workingDirectory, [], timeout);
        Assert.True(exit == 0, $"dotnet {string.Join(' ', arguments)} exited {exit}\n{Tail(stdout)}\n{Tail(stderr)}");
    }

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IReadOnlyList<string> arguments, string? workingDirectory,
        Dictionary<string, string?> environment, TimeSpan timeout, string? stdin = null)
    {
        using var process = StartProcess(file, arguments, workingDirectory, environment, redirectStdin: stdin is not null, drain: false);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}\n{Tail(await stdout)}\n{Tail(await stderr)}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// A child process with the test's environment minus what the test host's own build set up
    /// (MSBuild and test platform variables would steer the child's builds), plus <paramref name="environment"/>.
    /// </summary>
    private static Process StartProcess(string file, IReadOnlyList<string> arguments, string? workingDirectory, Dictionary<string, string?> environment,
        bool redirectStdin = false, bool drain = true)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
            || k is "KAFKA_BOOTSTRAP_SERVERS" or "DOTNET_ENVIRONMENT" || k.StartsWith("ACTORSTREAM", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
    }

    private static string FindKcat()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "kcat");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // Mandatory in CI (.ci/run installs kcat); skipped with the reason elsewhere.
        Assert.False(!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")), "kcat not installed: .ci/run must apt-get install kcat");
        Skip.If(true, "kcat not installed: apt-get install kcat (mandatory in CI)");
        return null!;
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "…" + text[^6000..];

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a temporary directory left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A running instance of the generated service: its log (stdout and stderr) and HTTP endpoints.</summary>
    private sealed partial class ServiceNode
    {
        private readonly ConcurrentQueue<string> _log = new();
        private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

        public ServiceNode(string name, Process process)
        {
            Name = name;
            Process = process;
            _ = Pump(process.StandardOutput);
            _ = Pump(process.StandardError);
        }

        public string Name { get; }

        public Process Process { get; }

        public string Url { get; set; } = "";

        public Task<string> UrlTask => _url.Task;

        public string Log => string.Join('\n', _log.TakeLast(400));

        public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
        {
            try
            {
                using var response = await _http.GetAsync(Url + path);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException ex)
            {
                return (0, ex.Message);
            }
        }

        private async Task Pump(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                _log.Enqueue(line);
                if (HttpUrl().Match(line) is { Success: true } match)
                {
                    _url.TrySetResult(match.Groups[1].Value);
                }
            }

            _url.TrySetException(new InvalidOperationException("exited"));
        }

        [GeneratedRegex(@"HTTP endpoints at (http://\S+):")]
        private static partial Regex HttpUrl();
    }
}
