using System.CommandLine;
using ActorStream.Host.Cli;
using ActorStream.Host.Sample;
using ActorStream.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream run --config FILE... [--set path=value]...</c>: runs a node with the pipelines of the
/// configuration until SIGINT/SIGTERM, then stops gracefully (stop intake, drain, commit, leave). A
/// .NET host with <c>AddActorStream</c> and the built-in <c>Account</c> entity; a service of your own
/// entities is the same program with its own (docs/hosting.md).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string[]>("--config")
        {
            Description = "HOCON configuration file of the node (see hocon/); repeatable, a later file over an earlier one.",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
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
            RunAsync(parseResult.GetValue(config) ?? [], parseResult.GetValue(set) ?? [], parseResult.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(IReadOnlyList<string> configFiles, IReadOnlyList<string> overrides, TextWriter stderr, CancellationToken cancellationToken)
    {
        // System.CommandLine installs its SIGINT/SIGTERM handler only once the action returns its task;
        // yield first, so a signal during the start-up is a clean stop, not the runtime's default exit.
        await Task.Yield();
        var builder = NodeProgram.CreateBuilder();
        builder.Services.AddActorStream(b => b
            .WithCommandLine(configFiles, overrides)
            .AddEntity<AccountEntity>("Account")
            .AddPipelinesFromConfig());
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorStream.Node");
        if (await NodeProgram.StartAsync(host, "run", stderr, logger, cancellationToken) is { } failed)
        {
            return failed;
        }

        var node = host.Services.GetRequiredService<ActorStreamNode>();
        logger.LogInformation("Node running with {Count} pipeline(s) on Kafka {BootstrapServers}; stop with Ctrl+C or SIGTERM",
            node.Pipelines.All.Count, node.BootstrapServers);

        // The node also ends without us: when the cluster downs it (the split brain resolver after a
        // pause or a partition, or an operator), or when its pipelines fail.
        await NodeProgram.UntilStoppedAsync(host, cancellationToken);
        logger.LogInformation("Stopping: draining in-flight records and committing");
        return await NodeProgram.StopAsync(host, node, logger, cancellationToken);
    }
}
