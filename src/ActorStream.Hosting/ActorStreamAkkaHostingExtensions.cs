using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorStream.Hosting;

/// <summary>Adds an ActorStream node to an application's own Akka.Hosting actor system.</summary>
public static class ActorStreamAkkaHostingExtensions
{
    /// <summary>
    /// Composes an ActorStream node on this actor system, in the style of Akka.Cluster.Hosting:
    /// the configuration from all sources (see <see cref="ActorStreamBuilder"/>), every check, the
    /// embedded broker and registry for development, cluster formation (seed nodes or Cluster
    /// Bootstrap), the pipelines with entities created from <paramref name="services"/>, the HTTP
    /// endpoints with dashboard and admin API, lag monitoring and alerts, and the graceful drain in
    /// coordinated shutdown. Call it last in <c>AddAkka</c>: the configuration is checked against the
    /// Akka.Hosting options made before it. The node starts with the actor system (as an Akka.Hosting
    /// startup task) and is found with <see cref="ActorStreamNode.For"/>.
    /// </summary>
    /// <example>
    /// <code>
    /// builder.Services.AddAkka("actorstream", (akka, services) => akka
    ///     .WithActorStream(services, b => b.AddPipeline&lt;OrderEntity&gt;("orders", p => p.Topic("orders"))));
    /// </code>
    /// </example>
    /// <param name="akka">The application's Akka.Hosting builder.</param>
    /// <param name="services">The service provider <c>AddAkka</c> hands its callback.</param>
    /// <param name="configure">Declares entities, pipelines and configuration.</param>
    /// <exception cref="ActorStream.Pipelines.Settings.PipelineConfigurationException">A declared pipeline is invalid.</exception>
    /// <exception cref="ActorStreamConfigurationException">The configuration is incomplete or invalid.</exception>
    public static AkkaConfigurationBuilder WithActorStream(this AkkaConfigurationBuilder akka, IServiceProvider services, Action<ActorStreamBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(akka);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new ActorStreamBuilder();
        configure(builder);
        builder.RequirePipelines();
        var node = new ActorStreamNode(builder);
        Compose(akka, services, node);
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        akka.AddStartup(async (system, registry) =>
        {
            node.Attach(system);
            await NodeRuntime.StartAsync(node, system, registry, services, loggerFactory, CancellationToken.None).ConfigureAwait(false);
        });

        // The embedded pieces are released once the actor system ended; the host waits for that.
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(() =>
            (node.Attached ? node.Stopped : node.ReleaseAsync()).Wait(TimeSpan.FromSeconds(30)));
        return akka;
    }

    /// <summary>Composes <paramref name="node"/> (once) and adds its configuration to the actor system's.</summary>
    internal static void Compose(AkkaConfigurationBuilder akka, IServiceProvider services, ActorStreamNode node)
    {
        if (node.Composition is null)
        {
            var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("ActorStream.Node");
            var app = node.Builder.UseAppConfiguration ? node.Builder.AppConfiguration ?? services.GetService<IConfiguration>() : null;
            node.Composition = NodeComposition.Create(node.Builder, akka.Configuration.GetOrElse(ConfigurationFactory.Empty), app, services, logger);
        }

        akka.AddHocon(node.Composition.Prepend(), HoconAddMode.Prepend);
        akka.AddHocon(NodeComposition.Append(), HoconAddMode.Append);
    }
}
