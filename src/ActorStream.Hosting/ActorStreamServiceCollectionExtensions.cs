using Akka.Actor;
using Akka.Hosting;
using ActorStream.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorStream.Hosting;

/// <summary>Registers an ActorStream node with Microsoft.Extensions.DependencyInjection / Akka.Hosting.</summary>
public static class ActorStreamServiceCollectionExtensions
{
    /// <summary>
    /// Adds an ActorStream node that owns its Akka.NET actor system (through Akka.Hosting): the
    /// node of <see cref="ActorStreamAkkaHostingExtensions.WithActorStream"/>, started and stopped
    /// with the host. The host's start fails with an <see cref="ActorStreamConfigurationException"/>
    /// naming the key when the configuration is wrong; it returns once the pipelines run (the node is
    /// an Up cluster member). On host stop every pipeline drains (stop intake, finish in-flight
    /// records, commit) before the node leaves. Inject <see cref="ActorStreamNode"/>,
    /// <see cref="ActorStreamPipelines"/>, and <c>IRequiredActor&lt;TEntity&gt;</c> for a pipeline's
    /// shard region.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Declares entities, pipelines and configuration.</param>
    /// <param name="configureAkka">Optional further Akka.Hosting configuration (own actors, HOCON, persistence); applied before the node's.</param>
    /// <exception cref="ActorStream.Pipelines.Settings.PipelineConfigurationException">A declared pipeline is invalid.</exception>
    public static IServiceCollection AddActorStream(
        this IServiceCollection services,
        Action<ActorStreamBuilder> configure,
        Action<AkkaConfigurationBuilder, IServiceProvider>? configureAkka = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        var builder = new ActorStreamBuilder();
        configure(builder);
        builder.RequirePipelines();

        var node = new ActorStreamNode(builder);
        services.AddSingleton(node);
        services.AddSingleton(node.Pipelines);

        // Hosted services start in registration order and stop in reverse: the composition (errors,
        // embedded pieces) before the actor system, the node's start after it, its stop first.
        services.AddHostedService(sp => new NodeCompositionService(node, sp));
        // Akka.Hosting runs this callback when its hosted service is created (before any starts); the
        // node is composed in its own service's start, so that a configuration error fails the host's
        // start (and the host can still be stopped), and added to this builder before the actor system exists.
        services.AddAkka(builder.ActorSystemName, (akka, provider) =>
        {
            configureAkka?.Invoke(akka, provider);
            akka.AddStartup((system, _) => node.Attach(system));
        });
        services.AddHostedService(sp => new NodeService(node, sp));
        return services;
    }
}
