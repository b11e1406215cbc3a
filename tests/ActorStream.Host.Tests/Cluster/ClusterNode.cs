using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorStream.Host.Tests.Cluster;

/// <summary>
/// One <c>actorstream run</c> process of a multi-process cluster test: started with its own remote
/// port, reachable over its HTTP endpoints, and signalled like an operator or the kernel would
/// (SIGTERM, SIGKILL, SIGSTOP/SIGCONT). Keeps the node's recent log lines for failure messages.
/// </summary>
internal sealed partial class ClusterNode : IDisposable
{
    private const int MaxLogLines = 3000;
    private readonly ConcurrentQueue<string> _log;
    private bool _paused;

    private ClusterNode(string name, int remotePort, Process process, string url, ConcurrentQueue<string> log)
    {
        Name = name;
        RemotePort = remotePort;
        Process = process;
        _log = log;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name { get; }

    public int RemotePort { get; }

    public Process Process { get; }

    public HttpClient Http { get; }

    /// <summary>The node's cluster address (loopback).</summary>
    public string Address => $"akka.tcp://actorstream@127.0.0.1:{RemotePort}";

    /// <summary>Starts a node and returns once its HTTP endpoints are up (the log line says where).</summary>
    public static async Task<ClusterNode> StartAsync(string name, int remotePort, IReadOnlyDictionary<string, string?> environment, IReadOnlyList<string> arguments)
    {
        var env = new Dictionary<string, string?>(environment)
        {
            ["ACTORSTREAM_REMOTE_PORT"] = remotePort.ToString(CultureInfo.InvariantCulture),
        };
        var process = Actorstream.Start(env, [.. arguments]);
        var log = new ConcurrentQueue<string>();
        void Keep(string line)
        {
            log.Enqueue(line);
            while (log.Count > MaxLogLines && log.TryDequeue(out _))
            {
            }
        }

        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                Keep(line);
                if (HttpUrl().Match(line) is { Success: true } h)
                {
                    url.TrySetResult(h.Groups[1].Value);
                }
            }

            url.TrySetException(new InvalidOperationException("the node exited before its HTTP endpoints were up"));
        });
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                Keep(line);
            }
        });

        try
        {
            var started = await url.Task.WaitAsync(TimeSpan.FromSeconds(90));
            return new ClusterNode(name, remotePort, process, started, log);
        }
        catch (Exception ex)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            throw new Xunit.Sdk.XunitException($"node {name} did not start: {ex.Message}\n{string.Join("\n", log.TakeLast(60))}");
        }
    }

    /// <summary>The partitions of the first pipeline this node consumes now.</summary>
    public async Task<IReadOnlyList<int>> AssignedPartitionsAsync()
    {
        using var pipelines = JsonDocument.Parse(await Http.GetStringAsync("/api/pipelines"));
        return pipelines.RootElement[0].GetProperty("assigned_partitions").EnumerateArray()
            .Select(p => p.GetProperty("partition").GetInt32())
            .ToList();
    }

    /// <summary>Members as this node sees them: address → (status, reachable).</summary>
    public async Task<IReadOnlyDictionary<string, (string Status, bool Reachable)>> MembersAsync()
    {
        using var cluster = JsonDocument.Parse(await Http.GetStringAsync("/api/cluster"));
        return cluster.RootElement.GetProperty("members").EnumerateArray().ToDictionary(
            m => m.GetProperty("address").GetString()!,
            m => (m.GetProperty("status").GetString()!, m.GetProperty("reachable").GetBoolean()));
    }

    /// <summary>The sum of a Prometheus counter's series on this node (0 when it has none yet).</summary>
    public async Task<double> CounterAsync(string name)
    {
        var metrics = await Http.GetStringAsync("/metrics");
        return Regex.Matches(metrics, $@"^{Regex.Escape(name)}(\{{[^}}]*\}})? (\S+)", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>SIGKILL: the process dies at once, without draining, committing or leaving.</summary>
    public void Kill() => Process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM: a graceful stop (drain, commit, hand over, leave).</summary>
    public void Terminate() => Actorstream.Terminate(Process);

    /// <summary>SIGSTOP: the process freezes (as in a long GC pause or a VM stall) and answers nobody.</summary>
    public void Pause()
    {
        Signal(19);
        _paused = true;
    }

    /// <summary>SIGCONT: the frozen process runs on, unaware of the time that passed.</summary>
    public void Resume()
    {
        Signal(18);
        _paused = false;
    }

    public string Tail(int lines = 60) => $"--- node {Name} ({Address}) ---\n" + string.Join("\n", _log.TakeLast(lines));

    /// <summary>Whether any kept log line matches.</summary>
    public bool Logged(string pattern) => _log.Any(line => Regex.IsMatch(line, pattern));

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            if (_paused)
            {
                Resume();
            }

            Actorstream.StopGracefully(Process);
        }

        Http.Dispose();
        Process.Dispose();
    }

    private void Signal(int signal)
    {
        if (SendSignal(Process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int sig);

    [GeneratedRegex(@"HTTP endpoints at (http://\S+):")]
    private static partial Regex HttpUrl();
}
