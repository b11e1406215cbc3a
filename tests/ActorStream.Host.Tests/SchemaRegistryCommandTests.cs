using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream schema-registry</c>: the stdout contract, persistence across runs, clean stop, clear errors.</summary>
public sealed class SchemaRegistryCommandTests
{
    private static readonly Dictionary<string, string?> CleanEnvironment = new() { ["ACTORSTREAM_POSTGRES_CONNECTION"] = null };

    [Fact]
    public async Task It_prints_its_url_first_serves_the_api_keeps_ids_across_runs_and_stops_cleanly_on_sigterm()
    {
        var database = Path.Combine(Path.GetTempPath(), $"registry-cli-{Guid.NewGuid():N}.db");
        try
        {
            int id;
            using (var run = await RegistryProcess.StartAsync("--port", "0", "--set", $"actorstream.schema-registry.storage.sqlite.path={database}"))
            {
                Assert.Matches(@"^url=http://127\.0\.0\.1:\d+$", run.FirstLine);
                using var http = new HttpClient { BaseAddress = run.Url };
                id = await RegisterAsync(http, "cli-subject", """{"type":"object","properties":{"a":{"type":"string"}}}""");
                Assert.Equal(0, await run.TerminateAsync());
                Assert.Empty(run.RestOfStdout.Trim());
            }

            using var again = await RegistryProcess.StartAsync("--set", $"actorstream.schema-registry.storage.sqlite.path={database}");
            using var client = new HttpClient { BaseAddress = again.Url };
            Assert.Equal(id, await RegisterAsync(client, "cli-other", """{"properties":{"a":{"type":"string"}},"type":"object"}"""));
            Assert.Equal(0, await again.TerminateAsync());
        }
        finally
        {
            foreach (var file in new[] { database, database + "-wal", database + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    [Theory]
    [InlineData("actorstream.schema-registry.storage.provider=mysql", "actorstream.schema-registry.storage.provider", "sqlite, postgresql")]
    [InlineData("actorstream.schema-registry.default-compatibility=SIDEWAYS", "actorstream.schema-registry.default-compatibility", "FULL_TRANSITIVE")]
    [InlineData("actorstream.schema-registry.storage.provider=postgresql", "actorstream.schema-registry.storage.postgresql.connection-string", "ACTORSTREAM_POSTGRES_CONNECTION")]
    public async Task An_invalid_setting_exits_2_naming_the_key(string set, string key, string allowed)
    {
        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(CleanEnvironment, "schema-registry", "--set", set);

        Assert.Equal(2, exit);
        Assert.Contains(key, stderr);
        Assert.Contains(allowed, stderr);
        Assert.Empty(stdout.Trim());
    }

    [Fact]
    public async Task Usage_errors_exit_2_without_output()
    {
        var badPort = await Actorstream.RunWithEnvironmentAsync(CleanEnvironment, "schema-registry", "--port", "70000");
        Assert.Equal(2, badPort.ExitCode);
        Assert.Contains("--port '70000' is invalid", badPort.Stderr);

        var missing = await Actorstream.RunWithEnvironmentAsync(CleanEnvironment, "schema-registry", "--config", "/nonexistent/registry.conf");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("'/nonexistent/registry.conf' does not exist", missing.Stderr);
        Assert.Empty(missing.Stdout.Trim());
    }

    [Fact]
    public async Task A_port_in_use_exits_1_and_says_so()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var database = Path.Combine(Path.GetTempPath(), $"registry-cli-{Guid.NewGuid():N}.db");

        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(CleanEnvironment,
            "schema-registry", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--set", $"actorstream.schema-registry.storage.sqlite.path={database}");

        File.Delete(database);
        Assert.Equal(1, exit);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", stderr);
        Assert.Empty(stdout.Trim());
    }

    internal static async Task<int> RegisterAsync(HttpClient http, string subject, string schema)
    {
        var body = JsonSerializer.Serialize(new { schema, schemaType = "JSON" });
        using var content = new StringContent(body, Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        using var response = await http.PostAsync($"/subjects/{subject}/versions", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"register answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt32();
    }

    /// <summary>A running <c>actorstream schema-registry</c> whose first stdout line was read.</summary>
    internal sealed class RegistryProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;

        private RegistryProcess(Process process, string firstLine, Task<string> stderr)
        {
            _process = process;
            FirstLine = firstLine;
            _stderr = stderr;
            Url = new Uri(firstLine["url=".Length..]);
        }

        public string FirstLine { get; }

        public Uri Url { get; }

        public string RestOfStdout { get; private set; } = "";

        public static async Task<RegistryProcess> StartAsync(params string[] arguments)
        {
            var process = Actorstream.Start(CleanEnvironment, ["schema-registry", .. arguments]);
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Actorstream.RunTimeout);
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"no url= line within {Actorstream.RunTimeout}; stderr: {await stderr}");
            }

            if (line is null || !line.StartsWith("url=", StringComparison.Ordinal))
            {
                await process.WaitForExitAsync(CancellationToken.None);
                throw new InvalidOperationException($"expected url=..., got '{line}' (exit {process.ExitCode}); stderr: {await stderr}");
            }

            return new RegistryProcess(process, line, stderr);
        }

        /// <summary>SIGTERM, then the exit code (bounded wait).</summary>
        public async Task<int> TerminateAsync()
        {
            Actorstream.Terminate(_process);
            var rest = _process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                throw new TimeoutException($"no exit within 30 s of SIGTERM; stderr: {await _stderr}");
            }

            RestOfStdout = await rest;
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
