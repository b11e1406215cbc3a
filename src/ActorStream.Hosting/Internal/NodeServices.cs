using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// Runs before Akka.Hosting's service: composes the node (reads and checks the configuration,
/// starts the embedded pieces), so that a configuration error fails the host's start with the
/// node's own message before any actor system exists. Stops last: waits until the node released
/// what it started.
/// </summary>
internal sealed class NodeCompositionService(ActorStreamNode node, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The same Akka.Hosting builder the actor system is created from, next, by Akka.Hosting's service.
        ActorStreamAkkaHostingExtensions.Compose(services.GetRequiredService<AkkaConfigurationBuilder>(), services, node);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!node.Attached)
        {
            await node.ReleaseAsync().ConfigureAwait(false);
            return;
        }

        await node.Stopped.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
    }
}

/// <summary>
/// Runs after Akka.Hosting's service: starts the node on the actor system (formation, pipelines,
/// HTTP endpoints), so the host's start fails with the node's own error; its stop runs coordinated
/// shutdown, which drains the pipelines.
/// </summary>
internal sealed class NodeService(ActorStreamNode node, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        NodeRuntime.StartAsync(node, services.GetRequiredService<ActorSystem>(), services.GetRequiredService<IActorRegistry>(), services,
            services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!node.Attached)
        {
            return;
        }

        // Akka.Hosting runs the same (idempotent) shutdown next; running it here makes the drain
        // happen before anything else of the host stops.
        await CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
    }
}
