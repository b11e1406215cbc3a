using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Entities;
using ActorStream.Hosting.Internal.Formation;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Hosting.Internal.Http;
using ActorStream.Kafka.Settings;
using ActorStream.Persistence;
using ActorStream.Pipelines.Settings;
using ActorStream.SchemaRegistry;
using ActorStream.Topics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Config = Akka.Configuration.Config;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// The first half of a node's start, before its actor system exists: the configuration from all
/// sources, every check that needs no running system (pipelines, entities, topics, HTTP, cluster
/// formation, remote TLS, entity store, the topics on the cluster), and the embedded broker and
/// registry whose addresses the actor system's configuration must hold.
/// </summary>
internal sealed class NodeComposition
{
    private NodeComposition(ConfigLayers layers, Config effective, Func<Config> prepend, IReadOnlyList<(PipelineSettings Settings, Action<IActorRegistry, IActorRef>? Register)> pipelines,
        HttpSettings http, ClusterFormationSettings formation, string bootstrapServers, EmbeddedStack embedded)
    {
        Layers = layers;
        Effective = effective;
        _prepend = prepend;
        Pipelines = pipelines;
        Http = http;
        Formation = formation;
        BootstrapServers = bootstrapServers;
        Embedded = embedded;
    }

    private readonly Func<Config> _prepend;

    /// <summary>The configuration sources (for errors that name where a key was set).</summary>
    public ConfigLayers Layers { get; }

    /// <summary>The node's configuration as checked (the actor system's is the same plus what Akka.Hosting adds later).</summary>
    public Config Effective { get; }

    public IReadOnlyList<(PipelineSettings Settings, Action<IActorRegistry, IActorRef>? Register)> Pipelines { get; }

    public HttpSettings Http { get; }

    public ClusterFormationSettings Formation { get; }

    public string BootstrapServers { get; }

    public EmbeddedStack Embedded { get; }

    public TimeSpan JoinTimeout => NodeConfig.JoinTimeout(Effective);

    public TimeSpan StopTimeout => NodeConfig.StopTimeout(Effective);

    /// <summary>ActorStream's configuration to put above the Akka.Hosting configuration (a new instance per call).</summary>
    public Config Prepend() => _prepend();

    /// <summary>The node defaults to put below everything (a new instance per call).</summary>
    public static Config Append() => NodeConfig.Defaults().WithFallback(ActorStreamPersistence.SerializationConfig);

    /// <summary>Reads and checks the configuration, then starts the embedded pieces it asks for.</summary>
    /// <param name="builder">The node's declarations.</param>
    /// <param name="akka">The Akka.Hosting configuration made so far (the application's own options).</param>
    /// <param name="app">The application's Microsoft.Extensions.Configuration, if any.</param>
    /// <param name="services">The service provider the entities will be created from, if any.</param>
    /// <param name="logger">The node's logger.</param>
    /// <exception cref="ActorStreamConfigurationException">The configuration is incomplete or invalid (the message names the key and where it was set).</exception>
    public static NodeComposition Create(ActorStreamBuilder builder, Config akka, IConfiguration? app, IServiceProvider? services, ILogger logger)
    {
        var layers = NodeConfig.Layers(builder.ConfigFiles, builder.CommandLineSettings, app, builder.CodeConfig(), builder.ConfigFileOption);
        var all = layers.WithFallback(akka).WithFallback(NodeConfig.Defaults());
        var candidate = all.Merged;

        string bootstrap;
        IReadOnlyList<(PipelineSettings Settings, Action<IActorRegistry, IActorRef>? Register)> pipelines;
        HttpSettings http;
        ClusterFormationSettings formation;
        IReadOnlyList<TopicSettings> topics;
        try
        {
            bootstrap = NodeConfig.BootstrapServers(candidate);
            pipelines = NodeStartup.ResolveSettings(candidate, builder);
            if (pipelines.Count == 0)
            {
                throw new NodeConfigException("no pipelines are configured: add one under actorstream.pipelines.<name> (see hocon/sample.conf)");
            }

            CheckEntities(builder, pipelines.Select(p => p.Settings), services);
            http = HttpSettings.Create(candidate);
            formation = ClusterFormationSettings.Create(candidate);
            RemoteTls.Validate(candidate);
            topics = TopicDeclarations.FromConfig(candidate, pipelines.Select(p => p.Settings).ToList());
        }
        catch (Exception ex) when (IsConfigurationError(ex))
        {
            throw new ActorStreamConfigurationException(all.Annotate(ex.Message), ex);
        }

        var settings = pipelines.Select(p => p.Settings).ToList();
        var embedded = EmbeddedStack.None;
        try
        {
            if (bootstrap.Equals(KafkaDefaults.EmbeddedBootstrapServers, StringComparison.OrdinalIgnoreCase))
            {
                embedded = EmbeddedStack.StartKafka(candidate, topics, logger);
                bootstrap = embedded.Kafka!.BootstrapServers;
            }

            embedded.StartRegistryAsync(candidate, settings, logger).GetAwaiter().GetResult();
            var resolvedBootstrap = bootstrap;
            Config Overrides() =>
                ConfigurationFactory.ParseString($"actorstream.kafka.bootstrap-servers = {NodeConfig.Quote(resolvedBootstrap)}")
                    .WithFallback(formation.AkkaConfig())
                    .WithFallback(embedded.RegistryUrl is { } url ? ConfigurationFactory.ParseString($"actorstream.schema-registry.url = {NodeConfig.Quote(url)}") : ConfigurationFactory.Empty)
                    .WithFallback(embedded.PersistenceOverrides());

            var effective = Overrides().WithFallback(all.Merged).WithFallback(ActorStreamPersistence.SerializationConfig);
            var store = EntityStoreSettings.FromConfig(effective);
            logger.LogInformation("Entity state: {Store}{Temporary}", store.Describe(),
                embedded.TemporaryState is null ? "" : " (temporary: the embedded broker starts empty each run; set actorstream.persistence.sqlite.path to keep it)");
            if (embedded.Kafka is null)
            {
                TopicStartupCheck.Check(effective, settings, topics, logger);
            }

            return new NodeComposition(layers, effective, () => Overrides().WithFallback(layers.Merged), pipelines, http, formation, bootstrap, embedded);
        }
        catch (Exception ex)
        {
            embedded.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (IsConfigurationError(ex))
            {
                throw new ActorStreamConfigurationException(all.Annotate(ex.Message), ex);
            }

            throw;
        }
    }

    /// <summary>Every pipeline's entity can be created: its constructor's services are registered (before anything starts, not at the first record).</summary>
    private static void CheckEntities(ActorStreamBuilder builder, IEnumerable<PipelineSettings> pipelines, IServiceProvider? services)
    {
        IEntityFactory factory = services is null ? EntityFactory.Parameterless : new ServiceProviderEntityFactory(services);
        foreach (var pipeline in pipelines)
        {
            if (builder.Entities.Get(pipeline.Entity).EntityType is { } type && factory.CannotCreate(type) is { } problem)
            {
                throw new PipelineConfigurationException(pipeline.Name, "entity", problem);
            }
        }
    }

    /// <summary>Errors that mean "the configuration is wrong" (each names its key), as opposed to failures.</summary>
    public static bool IsConfigurationError(Exception ex) => ex is NodeConfigException or PipelineConfigurationException or TopicConfigurationException
        or PersistenceConfigurationException or SchemaRegistryConfigurationException or KafkaConfigurationException or Akka.Configuration.ConfigurationException;
}
