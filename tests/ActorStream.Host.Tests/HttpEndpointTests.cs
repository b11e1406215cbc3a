using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>The node's HTTP side: health, metrics, API, admin token, limits — on a `run` node with the embedded broker.</summary>
public sealed partial class HttpEndpointTests
{
    [Fact]
    public async Task A_node_serves_health_lag_metrics_and_guards_admin_actions_with_its_token()
    {
        var dev = Path.Combine(Actorstream.RepositoryRoot, "hocon", "dev.conf");
        using var process = Actorstream.Start(new Dictionary<string, string?>
        {
            ["KAFKA_BOOTSTRAP_SERVERS"] = null,
            ["ACTORSTREAM_ADMIN_TOKEN"] = "s3cret-token",
        }, "run", "--config", dev, "--set", "actorstream.monitoring.lag-interval=200ms");
        try
        {
            var (url, bootstrap) = await Actorstream.ReadNodeAddressesAsync(process);
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
            await Actorstream.EventuallyAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready");

            // 40 transactions for 4 accounts; once processed the group's lag is 0 on every partition.
            using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, Partitioner = Partitioner.Murmur2Random }).Build())
            {
                for (var seq = 1; seq <= 10; seq++)
                {
                    for (var a = 0; a < 4; a++)
                    {
                        producer.Produce("accounts", new Message<string, string> { Key = $"a-{a}", Value = $$"""{"accountId":"a-{{a}}","seq":{{seq}},"amount":1.5}""" });
                    }
                }

                producer.Flush(TimeSpan.FromSeconds(10));
            }

            await Actorstream.EventuallyAsync(async () =>
            {
                using var lag = JsonDocument.Parse(await http.GetStringAsync("/api/lag"));
                var accounts = lag.RootElement.EnumerateArray().Single(p => p.GetProperty("pipeline").GetString() == "accounts");
                var partitions = accounts.GetProperty("partitions").EnumerateArray().ToList();
                return partitions.Count == 8 && accounts.GetProperty("total_lag").GetInt64() == 0 && partitions.Sum(p => p.GetProperty("high_watermark").GetInt64()) == 40;
            }, TimeSpan.FromSeconds(60), "lag 0 over 8 partitions holding 40 records");

            // `actorstream lag` reads the node's view: 8 partitions, no alert firing → exit 0.
            var (lagExit, lagOut, lagErr) = await Actorstream.RunAsync("lag", "--node", url);
            Assert.True(lagExit == 0, $"{lagExit}\n{lagOut}\n{lagErr}");
            Assert.Equal(8, Regex.Matches(lagOut, @"^accounts\s+accounts\s+\d+\s+\d+\s+\d+\s+0\s+OK", RegexOptions.Multiline).Count);

            var metrics = await http.GetStringAsync("/metrics");
            var lagSeries = LagSeries().Matches(metrics).Where(m => m.Value.Contains("pipeline=\"accounts\"", StringComparison.Ordinal)).ToList();
            Assert.Equal(8, lagSeries.Count);
            Assert.All(lagSeries, m => Assert.Equal("0", m.Groups["value"].Value));
            Assert.Matches(@"actorstream_records_processed_records_total(\{[^}]*\})? (4\d|[5-9]\d|\d{3,})", metrics);

            using var alerts = JsonDocument.Parse(await http.GetStringAsync("/api/alerts"));
            Assert.Equal(0, alerts.RootElement.GetProperty("firing").GetArrayLength());

            // Admin actions: no token or a wrong one → 401, nothing happens; the right one → the pipeline drains and stops.
            var noToken = await http.PostAsync("/api/admin/pipelines/accounts/stop", null);
            Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
            Assert.DoesNotContain("s3cret", await noToken.Content.ReadAsStringAsync());
            using (var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/admin/pipelines/accounts/stop"))
            {
                wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
            }

            using (var pipelines = JsonDocument.Parse(await http.GetStringAsync("/api/pipelines")))
            {
                Assert.Equal("running", pipelines.RootElement[0].GetProperty("state").GetString());
                Assert.Equal(8, pipelines.RootElement[0].GetProperty("assigned_partitions").GetArrayLength());
            }

            var missing = await http.GetAsync("/api/nothing");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("no endpoint GET /api/nothing", await missing.Content.ReadAsStringAsync());

            // Pause / resume: the token is required, the answer is the state (idempotent), unknown names get a 404 naming the known ones.
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/admin/pipelines/accounts/pause", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/admin/pipelines/accounts/resume", null)).StatusCode);
            Assert.False(await PausedAsync(http));
            Assert.Equal((HttpStatusCode.OK, true, true), await AdminAsync(http, "/api/admin/pipelines/accounts/pause"));
            Assert.Equal((HttpStatusCode.OK, true, false), await AdminAsync(http, "/api/admin/pipelines/accounts/pause"));
            Assert.True(await PausedAsync(http));
            using (var lagWhilePaused = JsonDocument.Parse(await http.GetStringAsync("/api/lag")))
            {
                Assert.True(lagWhilePaused.RootElement.EnumerateArray().Single(p => p.GetProperty("pipeline").GetString() == "accounts").GetProperty("paused").GetBoolean());
            }

            using (var unknown = new HttpRequestMessage(HttpMethod.Post, "/api/admin/pipelines/nope/pause"))
            {
                unknown.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");
                var response = await http.SendAsync(unknown);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("no pipeline named 'nope'; pipelines: accounts", error.RootElement.GetProperty("error").GetString());
            }

            Assert.Equal((HttpStatusCode.OK, false, true), await AdminAsync(http, "/api/admin/pipelines/accounts/resume"));
            Assert.Equal((HttpStatusCode.OK, false, false), await AdminAsync(http, "/api/admin/pipelines/accounts/resume"));
            Assert.False(await PausedAsync(http));

            // The same through the CLI: the token comes from an environment variable, never the command line.
            var (cliExit, cliOut, cliErr) = await Actorstream.RunWithEnvironmentAsync(new Dictionary<string, string?> { ["PAUSE_TOKEN"] = "s3cret-token" },
                "pipelines", "pause", "accounts", "--node", url, "--token-env", "PAUSE_TOKEN");
            Assert.True(cliExit == 0, $"{cliExit}\n{cliOut}\n{cliErr}");
            Assert.Contains($"pipeline accounts on {url}: paused", cliOut);
            Assert.True(await PausedAsync(http));
            var (noTokenExit, _, noTokenErr) = await Actorstream.RunWithEnvironmentAsync(new Dictionary<string, string?> { ["ACTORSTREAM_ADMIN_TOKEN"] = null },
                "pipelines", "resume", "accounts", "--node", url);
            Assert.Equal(2, noTokenExit);
            Assert.Contains("ACTORSTREAM_ADMIN_TOKEN is not set", noTokenErr);
            var (wrongExit, _, wrongErr) = await Actorstream.RunWithEnvironmentAsync(new Dictionary<string, string?> { ["ACTORSTREAM_ADMIN_TOKEN"] = "guess" },
                "pipelines", "resume", "accounts", "--node", url);
            Assert.Equal(1, wrongExit);
            Assert.Contains("401", wrongErr);
            Assert.True(await PausedAsync(http));
            (cliExit, cliOut, cliErr) = await Actorstream.RunWithEnvironmentAsync(new Dictionary<string, string?> { ["ACTORSTREAM_ADMIN_TOKEN"] = "s3cret-token" },
                "pipelines", "resume", "accounts", "--node", url);
            Assert.True(cliExit == 0, $"{cliExit}\n{cliOut}\n{cliErr}");
            Assert.False(await PausedAsync(http));

            using (var right = new HttpRequestMessage(HttpMethod.Post, "/api/admin/pipelines/accounts/stop"))
            {
                right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");
                var stopped = await http.SendAsync(right);
                Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
            }

            using (var pipelines = JsonDocument.Parse(await http.GetStringAsync("/api/pipelines")))
            {
                Assert.Equal("stopped", pipelines.RootElement[0].GetProperty("state").GetString());
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                Actorstream.Terminate(process);
                if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    [Fact]
    public async Task A_bad_http_setting_is_named_before_anything_starts()
    {
        var dev = Path.Combine(Actorstream.RepositoryRoot, "hocon", "dev.conf");
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(new Dictionary<string, string?> { ["KAFKA_BOOTSTRAP_SERVERS"] = null, ["ACTORSTREAM_HTTP_PORT"] = "99999" },
            "run", "--config", dev);
        Assert.Equal(2, exit);
        Assert.Contains("actorstream.http.port (ACTORSTREAM_HTTP_PORT): must be 0 (any free port) to 65535; got '99999'", stderr);
    }

    [GeneratedRegex(@"^actorstream_consumer_lag_records\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex LagSeries();


    /// <summary>POSTs an admin action with the token; the status and the pipeline's paused / changed answer.</summary>
    private static async Task<(HttpStatusCode Status, bool Paused, bool Changed)> AdminAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3cret", body);
        using var json = JsonDocument.Parse(body);
        return (response.StatusCode, json.RootElement.GetProperty("paused").GetBoolean(), json.RootElement.GetProperty("changed").GetBoolean());
    }

    private static async Task<bool> PausedAsync(HttpClient http)
    {
        using var pipelines = JsonDocument.Parse(await http.GetStringAsync("/api/pipelines"));
        return pipelines.RootElement[0].GetProperty("paused").GetBoolean();
    }

}
