using System.CommandLine;
using Akka.Actor;
using ActorStream.Host.Cli;
using ActorStream.Host.Node;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream run --config FILE [--set path=value]...</c>: runs a node with the pipelines of the
/// configuration until SIGINT/SIGTERM, then stops gracefully (stop intake, drain, commit, leave).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config")
        {
            Description = "HOCON configuration file of the node (see hocon/).",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Override one configuration key, repeatable: --set actorstream.kafka.bootstrap-servers=localhost:9092",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
        };
        var command = new Command("run", "Run an ActorStream node with the pipelines of its configuration. Stop with Ctrl+C or SIGTERM.")
        {
            config, set,
        };
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(parseResult.GetValue(config), parseResult.GetValue(set) ?? [], parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, IReadOnlyList<string> overrides, TextWriter stderr, CancellationToken cancellationToken)
    {
        // System.CommandLine installs its SIGINT/SIGTERM handler only once the action returns its task;
        // yield first, so a signal during the (synchronous) start-up is a clean stop, not the runtime's default exit.
        await Task.Yield();
        using var loggerFactory = StderrLogging.CreateFactory();
        var logger = loggerFactory.CreateLogger("ActorStream.Node");
        ActorStreamNode node;
        try
        {
            node = ActorStreamNode.Start(NodeConfig.Load(configFile, overrides), logger);
        }
        catch (NodeConfigException ex)
        {
            await stderr.WriteLineAsync($"actorstream run: error: {ex.Message}");
            return ExitCodes.Usage;
        }

        logger.LogInformation("Node running with {Count} pipeline(s) on Kafka {BootstrapServers}; stop with Ctrl+C or SIGTERM",
            node.Pipelines.Count, node.BootstrapServers);
        var failed = Task.WhenAny(node.Pipelines.Select(p => (Task)p.Completion));
        try
        {
            // The actor system also ends without us: when the cluster downs this node (the split brain
            // resolver after a pause or a partition, or an operator), coordinated shutdown runs by itself.
            await Task.WhenAny(failed, node.System.WhenTerminated, Task.Delay(Timeout.Infinite, cancellationToken));
        }
        finally
        {
            logger.LogInformation("Stopping: draining in-flight records and committing");
            await node.StopAsync();
        }

        if (!cancellationToken.IsCancellationRequested && CoordinatedShutdown.Get(node.System).ShutdownReason is { } reason and not CoordinatedShutdown.ClrExitReason)
        {
            // A node the cluster removed cannot rejoin with the same incarnation: exit non-zero so that
            // a supervisor (systemd, Kubernetes) starts a fresh one, which joins as a new member.
            logger.LogError("The node left the actor system ({Reason}): it was downed or removed by the cluster; its partitions and entities moved to the other nodes. Exiting; start it again to rejoin.",
                reason.GetType().Name);
            return ExitCodes.Failure;
        }

        var broken = node.Pipelines.FirstOrDefault(p => p.Completion.IsFaulted);
        if (broken is not null && !cancellationToken.IsCancellationRequested)
        {
            logger.LogError("Pipeline {Pipeline} failed: {Error}", broken.Settings.Name, broken.Completion.Exception?.GetBaseException().Message);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }
}
