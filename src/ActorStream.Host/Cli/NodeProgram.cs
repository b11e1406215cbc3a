using Akka.Actor;
using ActorStream.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Cli;

/// <summary>
/// <c>run</c> and <c>dev</c> are ordinary .NET hosts (<c>Host.CreateApplicationBuilder</c>) with an
/// ActorStream node (<c>AddActorStream</c>); this is what the CLI adds around them: logs on stderr,
/// SIGINT/SIGTERM through System.CommandLine's token, configuration errors as one line and exit 2,
/// and the exit code of a node the cluster removed.
/// </summary>
internal static class NodeProgram
{
    /// <summary>A host builder reading appsettings.json (working directory) and the environment, like any .NET service.</summary>
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        StderrLogging.Configure(builder.Logging);

        // The host logs a failed start with the exception; the command reports it itself, in one line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        // System.CommandLine owns SIGINT/SIGTERM (the command's token); the host must not install its own handlers.
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();

        // The drain is bounded by actorstream.node.stop-timeout; the host must not give up before it.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(90));
        return builder;
    }

    /// <summary>Starts the host; on a configuration error prints it and returns the exit code, else null.</summary>
    public static async Task<int?> StartAsync(IHost host, string command, TextWriter stderr, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await host.StartAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (Find<ActorStreamConfigurationException>(ex) is { } config)
        {
            await stderr.WriteLineAsync($"actorstream {command}: error: {config.Message}");
            await StopQuietlyAsync(host);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopQuietlyAsync(host);
            return ExitCodes.Success;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The node could not start");
            await StopQuietlyAsync(host);
            return ExitCodes.Failure;
        }
    }

    /// <summary>Completes when the command is cancelled (signal) or the node stops by itself (downed, a pipeline failed).</summary>
    public static Task UntilStoppedAsync(IHost host, CancellationToken cancellationToken)
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());
        cancellationToken.Register(() => stopping.TrySetResult());
        return stopping.Task;
    }

    /// <summary>Stops the host (the node drains and leaves) and tells how the node ended as an exit code.</summary>
    public static async Task<int> StopAsync(IHost host, ActorStreamNode node, ILogger logger, CancellationToken cancellationToken)
    {
        await host.StopAsync(CancellationToken.None);
        if (node.Failure is not null)
        {
            return ExitCodes.Failure;
        }

        if (!cancellationToken.IsCancellationRequested && CoordinatedShutdown.Get(node.System).ShutdownReason is { } reason and not CoordinatedShutdown.ClrExitReason)
        {
            // A node the cluster removed cannot rejoin with the same incarnation: exit non-zero so that
            // a supervisor (systemd, Kubernetes) starts a fresh one, which joins as a new member.
            logger.LogError("The node left the actor system ({Reason}): it was downed or removed by the cluster; its partitions and entities moved to the other nodes. Exiting; start it again to rejoin.",
                reason.GetType().Name);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            await host.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception)
        {
            // The start already failed; that error is the one reported.
        }
    }

    private static T? Find<T>(Exception ex)
        where T : Exception
    {
        for (var e = (Exception?)ex; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }

            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
            {
                return Find<T>(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    /// <summary>No signal handling of its own: the command's cancellation token stops the host.</summary>
    private sealed class CommandLineLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
