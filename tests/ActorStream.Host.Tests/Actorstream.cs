using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ActorStream.TestKit;

namespace ActorStream.Host.Tests;

/// <summary>Runs the built <c>actorstream</c> as a child process.</summary>
internal static partial class Actorstream
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>actorstream.dll: next to the test assembly (ProjectReference copies it), else the Host's own output.</summary>
    public static string DllPath { get; } = FindDll();

    public static Task<EmbeddedKafkaProcess> StartKafkaAsync(params string[] arguments) =>
        EmbeddedKafkaProcess.StartAsync(DllPath, ["kafka", .. arguments]);

    /// <summary>Runs actorstream to completion (bounded) and returns its exit code and raw output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"actorstream {string.Join(' ', arguments)} did not exit within {RunTimeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts actorstream with redirected stdout/stderr; the caller owns the process.</summary>
    public static Process Start(params string[] arguments) => Start(null, arguments);

    /// <summary>Runs actorstream to completion with environment changes (null value = unset).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        using var process = Start(environment, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Never leak a hung child into the rest of the run.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"actorstream {string.Join(' ', arguments)} did not exit within {RunTimeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The repository root (holds ActorStream.sln), for files such as hocon/*.conf.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ActorStream.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("ActorStream.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Starts actorstream with environment changes (null value = unset); the caller owns the process.</summary>
    public static Process Start(IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo
        {
            FileName = EmbeddedKafkaProcess_DotnetHost(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
        };

        // Nodes started by tests run side by side: each takes a free HTTP port unless a test says otherwise.
        info.Environment["ACTORSTREAM_HTTP_PORT"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        info.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null");
    }

    /// <summary>Sends SIGTERM (the tests run on Linux; elsewhere the process is killed).</summary>
    public static void Terminate(Process process)
    {
        if (OperatingSystem.IsWindows() || Kill(process.Id, 15) != 0)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// Reads a starting <c>dev</c> node's stderr until it logged its embedded Kafka address and its HTTP
    /// endpoints, then keeps both streams drained (a full pipe would block the node).
    /// </summary>
    public static async Task<(string Url, string Bootstrap)> ReadNodeAddressesAsync(Process process)
    {
        string? url = null, bootstrap = null;
        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(RunTimeout);
        while (url is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.AppendLine(line);
            if (System.Text.RegularExpressions.Regex.Match(line, @"Embedded Kafka at (\S+) ") is { Success: true } k)
            {
                bootstrap = k.Groups[1].Value;
            }

            if (System.Text.RegularExpressions.Regex.Match(line, @"HTTP endpoints at (http://\S+):") is { Success: true } h)
            {
                url = h.Groups[1].Value;
            }
        }

        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        return url is not null && bootstrap is not null ? (url, bootstrap) : throw new Xunit.Sdk.XunitException($"no HTTP/Kafka address logged:\n{seen}");
    }

    /// <summary>Polls <paramref name="condition"/> every 250 ms until it holds; fails after <paramref name="timeout"/> naming <paramref name="what"/> (and the diagnostics).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"not within {timeout.TotalSeconds:0} s: {what}\n{diagnostics?.Invoke()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>SIGTERM, then up to 45 s for a graceful exit; killed after that. No-op once exited.</summary>
    public static void StopGracefully(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        Terminate(process);
        if (!process.WaitForExit(TimeSpan.FromSeconds(45)))
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>A loopback TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string EmbeddedKafkaProcess_DotnetHost()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment) ? fromEnvironment : "dotnet";
    }

    private static string FindDll()
    {
        var local = Path.Combine(AppContext.BaseDirectory, "actorstream.dll");
        if (File.Exists(local))
        {
            return local;
        }

        // tests/ActorStream.Host.Tests/bin/<Configuration>/<tfm>/ -> src/ActorStream.Host/bin/<Configuration>/<tfm>/
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfmDir.Parent!.Name;
        var repoRoot = tfmDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var hostOutput = Path.Combine(repoRoot, "src", "ActorStream.Host", "bin", configuration, tfmDir.Name, "actorstream.dll");
        return File.Exists(hostOutput)
            ? hostOutput
            : throw new FileNotFoundException($"actorstream.dll not found next to the tests ({local}) nor at {hostOutput}; build src/ActorStream.Host.");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
