using Akka.Hosting;
using ActorStream.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace ActorStream.Hosting;

/// <summary>Registers an ActorStream node with Microsoft.Extensions.DependencyInjection / Akka.Hosting.</summary>
public static class ActorStreamServiceCollectionExtensions
{
    /// <summary>
    /// Adds an ActorStream node: an Akka.NET actor system (through Akka.Hosting) in a cluster — a
    /// single node joins itself unless seed nodes are configured — running the pipelines declared
    /// in <paramref name="configure"/>. Pipelines start once the node is an Up member; on host stop
    /// they drain (stop intake, finish in-flight records, commit) before the node leaves. Inject
    /// <see cref="ActorStreamPipelines"/> to see them, and <c>IRequiredActor&lt;TEntity&gt;</c> for a
    /// pipeline's shard region.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Declares entities, pipelines and configuration.</param>
    /// <param name="configureAkka">Optional further Akka.Hosting configuration (own actors, HOCON, persistence).</param>
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
        if (builder.Pipelines.Count == 0 && !builder.PipelinesFromConfig)
        {
            throw new InvalidOperationException(
                "AddActorStream: no pipeline is declared; add one with AddPipeline<TEntity>(name, p => p.Topic(...)) or AddPipelinesFromConfig()");
        }

        var pipelines = new ActorStreamPipelines();
        services.AddSingleton(pipelines);
        services.AddAkka(builder.ActorSystemName, (akka, provider) =>
        {
            NodeStartup.Configure(akka, builder, pipelines);
            configureAkka?.Invoke(akka, provider);
        });
        return services;
    }
}
