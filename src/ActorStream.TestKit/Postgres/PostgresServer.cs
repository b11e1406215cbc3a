using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ActorStream.TestKit.Postgres;

/// <summary>
/// A throwaway PostgreSQL server for tests: <c>initdb</c> in a temporary directory, <c>pg_ctl start</c>
/// on a free loopback port, one database created, <see cref="ConnectionString"/> to reach it.
/// <see cref="StopAsync"/> / <see cref="StartAsync()"/> take it down and bring it back on the same
/// port and data (for database-outage tests); <see cref="DisposeAsync"/> stops it and deletes the
/// directory.
/// </summary>
/// <remarks>
/// <para>The server binaries are found in <c>ACTORSTREAM_PG_BIN</c> (a directory with <c>initdb</c> and
/// <c>pg_ctl</c>), else the newest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c> (Debian package
/// <c>postgresql</c>), else on <c>PATH</c>.</para>
/// <para>PostgreSQL refuses to run as root. When the process is root (as in CI), the data directory is
/// handed to the unprivileged <c>postgres</c> user (created by the Debian package; override with
/// <c>ACTORSTREAM_PG_USER</c>) and <c>initdb</c>/<c>pg_ctl</c> run through <c>runuser -u postgres --</c>.</para>
/// <para>Authentication is <c>trust</c> on loopback only (listen_addresses = 127.0.0.1; the Unix
/// socket lives in the temporary directory): for tests, never for anything else.</para>
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _binDirectory;
    private readonly string? _runAs;
    private readonly string _root;
    private readonly string _dataDirectory;
    private readonly string _logFile;
    private bool _running;

    private PostgresServer(string binDirectory, string? runAs, string root, int port, string database)
    {
        _binDirectory = binDirectory;
        _runAs = runAs;
        _root = root;
        _dataDirectory = Path.Combine(root, "data");
        _logFile = Path.Combine(root, "postgres.log");
        Port = port;
        Database = database;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Database = database,
            Username = "postgres",
            Pooling = true,
            Timeout = 5,
        }.ToString();
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The database created for the tests.</summary>
    public string Database { get; }

    /// <summary>Npgsql connection string of <see cref="Database"/> (user <c>postgres</c>, trust authentication).</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server binaries are, or null when none are found (see remarks of <see cref="PostgresServer"/>).</summary>
    public static string? FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("ACTORSTREAM_PG_BIN");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }

        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        return null;
    }

    /// <summary>Initializes and starts a new server with an empty database <paramref name="database"/>.</summary>
    /// <exception cref="InvalidOperationException">No binaries, or initdb/pg_ctl failed (the message has their output).</exception>
    public static async Task<PostgresServer> StartAsync(string database = "actorstream", CancellationToken cancellationToken = default)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (initdb, pg_ctl): apt-get install postgresql, or set ACTORSTREAM_PG_BIN");
        var runAs = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
            ? Environment.GetEnvironmentVariable("ACTORSTREAM_PG_USER") is { Length: > 0 } user ? user : "postgres"
            : null;
        // The unprivileged user must reach the directory: under root's own TMPDIR it might not.
        var root = runAs is not null && Directory.Exists("/tmp")
            ? Directory.CreateDirectory(Path.Combine("/tmp", $"actorstream-pg-{Guid.NewGuid():N}")).FullName
            : Directory.CreateTempSubdirectory("actorstream-pg-").FullName;
        var server = new PostgresServer(bin, runAs, root, FreePort(), database);
        try
        {
            if (runAs is not null)
            {
                await RunAsync("chown", ["-R", runAs, root], cancellationToken).ConfigureAwait(false);
            }

            await server.RunToolAsync("initdb", ["-D", server._dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], cancellationToken).ConfigureAwait(false);
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            await using (var connection = new NpgsqlConnection(server.AdminConnectionString))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the (stopped) server again on the same port and data; returns once it accepts connections.</summary>
    public Task StartAsync() => _running ? Task.CompletedTask : StartAsync(CancellationToken.None);

    /// <summary>Stops the server (fast shutdown: open connections are cut). Data is kept.</summary>
    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }

        await RunToolAsync("pg_ctl", ["stop", "-D", _dataDirectory, "-m", "fast", "-w", "-t", "60"], CancellationToken.None).ConfigureAwait(false);
        _running = false;
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already gone; the directory is removed anyway.
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The server's log so far (for test diagnostics).</summary>
    public string ReadLog() => File.Exists(_logFile) ? File.ReadAllText(_logFile) : "";

    private string AdminConnectionString => new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ToString();

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = $"-p {Port.ToString(CultureInfo.InvariantCulture)} -c listen_addresses=127.0.0.1 -k {_root} -c fsync=off -c max_connections=200";
        await RunToolAsync("pg_ctl", ["start", "-D", _dataDirectory, "-l", _logFile, "-w", "-t", "60", "-o", options], cancellationToken).ConfigureAwait(false);
        _running = true;
    }

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _runAs is null
            ? RunAsync(path, arguments, cancellationToken)
            : RunAsync("runuser", ["-u", _runAs, "--", path, .. arguments], cancellationToken);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
