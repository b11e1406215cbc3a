using System.Diagnostics;
using System.Text;
using ActorStream.TestKit.Internal.Native;

namespace ActorStream.TestKit;

/// <summary>
/// Runs <c>actorstream kafka</c> (the embedded broker in its own process) for multi-process tests: starts it,
/// reads the <c>bootstrap.servers=</c> and <c>control=</c> lines it prints, and stops it with SIGTERM.
/// </summary>
public sealed class EmbeddedKafkaProcess : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly StringBuilder _stderr;
    private readonly List<string> _extraStdout = [];
    private readonly Task _stdoutDrain;
    private int _stopped;

    private EmbeddedKafkaProcess(Process process, StringBuilder stderr, string bootstrapServers, Uri controlUri)
    {
        _process = process;
        _stderr = stderr;
        BootstrapServers = bootstrapServers;
        ControlUri = controlUri;
        Control = new EmbeddedKafkaControlClient(controlUri);
        _stdoutDrain = DrainStdoutAsync();
    }

    /// <summary>The cluster's <c>bootstrap.servers</c>, from the first stdout line.</summary>
    public string BootstrapServers { get; }

    /// <summary>The control API's URL, from the second stdout line.</summary>
    public Uri ControlUri { get; }

    /// <summary>A client for the control API.</summary>
    public EmbeddedKafkaControlClient Control { get; }

    /// <summary>The process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote to stderr so far (its logs).</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Lines the process wrote to stdout after the two contract lines (there should be none).</summary>
    public IReadOnlyList<string> ExtraStandardOutput
    {
        get
        {
            lock (_extraStdout)
            {
                return _extraStdout.ToList();
            }
        }
    }

    /// <summary>
    /// Starts <c>actorstream kafka</c> and waits until it printed its addresses (the broker and the control API
    /// are then ready).
    /// </summary>
    /// <param name="actorstreamPath">Path of <c>actorstream.dll</c> (run with <c>dotnet</c>) or of the <c>actorstream</c> executable.</param>
    /// <param name="brokers">Number of brokers.</param>
    /// <param name="topics">Topics to create at start.</param>
    /// <param name="startTimeout">How long to wait for the addresses (default 60 s).</param>
    /// <param name="cancellationToken">Cancels the start (the process is then killed).</param>
    /// <returns>The running process.</returns>
    /// <exception cref="EmbeddedKafkaException">The process exited or printed something unexpected; the message includes its stderr.</exception>
    /// <exception cref="TimeoutException">No addresses within <paramref name="startTimeout"/>.</exception>
    public static Task<EmbeddedKafkaProcess> StartAsync(
        string actorstreamPath,
        int brokers = 1,
        IEnumerable<(string Topic, int Partitions)>? topics = null,
        TimeSpan? startTimeout = null,
        CancellationToken cancellationToken = default)
    {
        var arguments = new List<string> { "kafka", "--brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (topic, partitions) in topics ?? [])
        {
            arguments.Add("--topic");
            arguments.Add($"{topic}:{partitions.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        return StartAsync(actorstreamPath, arguments, startTimeout, cancellationToken);
    }

    /// <summary>Starts <c>actorstream</c> with the given arguments (which must run the <c>kafka</c> command) and waits for its addresses.</summary>
    /// <param name="actorstreamPath">Path of <c>actorstream.dll</c> (run with <c>dotnet</c>) or of the <c>actorstream</c> executable.</param>
    /// <param name="arguments">Command-line arguments, starting with <c>kafka</c>.</param>
    /// <param name="startTimeout">How long to wait for the addresses (default 60 s).</param>
    /// <param name="cancellationToken">Cancels the start (the process is then killed).</param>
    /// <returns>The running process.</returns>
    public static async Task<EmbeddedKafkaProcess> StartAsync(
        string actorstreamPath,
        IReadOnlyList<string> arguments,
        TimeSpan? startTimeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var process = new Process { StartInfo = CreateStartInfo(actorstreamPath, arguments) };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };

        process.Start();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout ?? DefaultStartTimeout);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(timeout.Token);
            var second = first is null ? null : await process.StandardOutput.ReadLineAsync(timeout.Token);
            const string bootstrapPrefix = "bootstrap.servers=";
            const string controlPrefix = "control=";
            if (first is null || second is null
                || !first.StartsWith(bootstrapPrefix, StringComparison.Ordinal)
                || !second.StartsWith(controlPrefix, StringComparison.Ordinal)
                || !Uri.TryCreate(second[controlPrefix.Length..], UriKind.Absolute, out var controlUri))
            {
                await KillAsync(process);
                throw new EmbeddedKafkaException(
                    $"actorstream kafka did not print its addresses (exit code {ExitCodeOf(process)}); stdout: [{first}] [{second}]; stderr:\n{Text(stderr)}");
            }

            return new EmbeddedKafkaProcess(process, stderr, first[bootstrapPrefix.Length..], controlUri);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await KillAsync(process);
            throw new TimeoutException(
                $"actorstream kafka printed no addresses within {startTimeout ?? DefaultStartTimeout}; stderr:\n{Text(stderr)}");
        }
        catch
        {
            await KillAsync(process);
            throw;
        }
    }

    /// <summary>
    /// Sends SIGTERM (Process.Kill on Windows) and waits for the process to exit; kills it if it does not exit
    /// within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="timeout">How long to wait for a clean exit (default 20 s).</param>
    /// <returns>The exit code (0 for a clean stop).</returns>
    /// <exception cref="TimeoutException">The process did not exit in time (it was killed).</exception>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        Interlocked.Exchange(ref _stopped, 1);
        if (!_process.HasExited && !PosixSignals.Send(_process.Id, PosixSignals.SigTerm))
        {
            _process.Kill(entireProcessTree: true);
        }

        using var cts = new CancellationTokenSource(timeout ?? DefaultStopTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync(_process);
            throw new TimeoutException(
                $"actorstream kafka did not exit within {timeout ?? DefaultStopTimeout} after SIGTERM; stderr:\n{StandardError}");
        }

        await _stdoutDrain;
        return _process.ExitCode;
    }

    /// <summary>Stops the process (SIGTERM, then kill) if it is still running and releases it.</summary>
    /// <returns>A task that completes when the process is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0 && !_process.HasExited)
            {
                await StopAsync();
            }
        }
        catch (TimeoutException)
        {
            // killed
        }
        finally
        {
            Control.Dispose();
            _process.Dispose();
        }
    }

    /// <summary>Stops the process if it is still running and releases it.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task DrainStdoutAsync()
    {
        try
        {
            string? line;
            while ((line = await _process.StandardOutput.ReadLineAsync()) is not null)
            {
                lock (_extraStdout)
                {
                    _extraStdout.Add(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // process gone
        }
    }

    private static ProcessStartInfo CreateStartInfo(string actorstreamPath, IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(actorstreamPath);
        if (!File.Exists(actorstreamPath))
        {
            throw new FileNotFoundException($"actorstream not found at '{actorstreamPath}'.", actorstreamPath);
        }

        var isDll = actorstreamPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo
        {
            FileName = isDll ? DotnetHost() : actorstreamPath,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(actorstreamPath))!,
        };
        if (isDll)
        {
            info.ArgumentList.Add(actorstreamPath);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>The dotnet host running this process (so the child uses the same runtime), else "dotnet" from PATH.</summary>
    internal static string DotnetHost()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        return "dotnet";
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // already gone or not killable
        }
    }

    private static string ExitCodeOf(Process process) =>
        process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
