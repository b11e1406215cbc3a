using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Management.Cluster.Bootstrap;
using ActorStream.Entities;
using ActorStream.Host.Http;
using ActorStream.Kafka.Settings;
using ActorStream.Persistence;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using ActorStream.TestKit;
using ActorStream.Topics;
using ActorStream.SchemaRegistry;
using Microsoft.Extensions.Logging;
using Config = Akka.Configuration.Config;

namespace ActorStream.Host.Node;

/// <summary>
/// A running ActorStream node: an actor system in a cluster (a single node joins itself), the
/// configured pipelines, and — when the bootstrap servers are <c>embedded</c> — an in-process Kafka
/// broker with the pipelines' topics. Stops gracefully: pipelines drain and commit, then the actor
/// system and the broker go down.
/// </summary>
internal sealed class ActorStreamNode
{
    private readonly ILogger _logger;
    private readonly TimeSpan _stopTimeout;

    private string? _temporaryStateDirectory;

    private ActorStreamNode(ActorSystem system, IReadOnlyList<Pipeline> pipelines, EmbeddedKafka? kafka, string bootstrapServers, ILogger logger, TimeSpan stopTimeout)
    {
        System = system;
        Pipelines = pipelines;
        EmbeddedKafka = kafka;
        BootstrapServers = bootstrapServers;
        _logger = logger;
        _stopTimeout = stopTimeout;
    }

    public ActorSystem System { get; }

    public IReadOnlyList<Pipeline> Pipelines { get; }

    public EmbeddedKafka? EmbeddedKafka { get; }

    public string BootstrapServers { get; }

    /// <summary>The node's HTTP endpoints (metrics, health, API), when enabled.</summary>
    public NodeHttpServer? Http { get; private set; }

    /// <summary>The embedded schema registry, when this node started one (<c>actorstream.schema-registry.embedded</c>).</summary>
    public SchemaRegistryServer? SchemaRegistry { get; private init; }

    /// <summary>Entities this host ships with (the sample pipeline's).</summary>
    public static void RegisterBuiltInEntities(EntityRegistry registry) => registry.Register<Sample.AccountEntity>("Account");

    /// <summary>Validates the configuration, then starts everything.</summary>
    /// <exception cref="NodeConfigException">The configuration is incomplete or invalid.</exception>
    public static ActorStreamNode Start(Config config, ILogger logger)
    {
        var bootstrap = NodeConfig.BootstrapServers(config);
        IReadOnlyList<PipelineSettings> pipelines;
        try
        {
            pipelines = PipelineSettings.FromConfig(config);
        }
        catch (PipelineConfigurationException ex)
        {
            throw new NodeConfigException(ex.Message);
        }

        if (pipelines.Count == 0)
        {
            throw new NodeConfigException("no pipelines are configured: add one under actorstream.pipelines.<name> (see hocon/sample.conf)");
        }

        var http = HttpSettings.Create(config);
        var formation = ClusterFormationSettings.Create(config);
        RemoteTls.Validate(config);
        var registry = new EntityRegistry();
        RegisterBuiltInEntities(registry);
        foreach (var pipeline in pipelines.Where(p => !registry.Contains(p.Entity)))
        {
            throw new NodeConfigException(
                $"actorstream.pipelines.{pipeline.Name}.entity: no entity named '{pipeline.Entity}' is registered; registered: {string.Join(", ", registry.All.Select(e => e.Name).Order())}");
        }

        IReadOnlyList<TopicSettings> topics;
        try
        {
            topics = TopicDeclarations.FromConfig(config, pipelines);
        }
        catch (TopicConfigurationException ex)
        {
            throw new NodeConfigException(ex.Message);
        }

        EmbeddedKafka? kafka = null;
        if (bootstrap.Equals("embedded", StringComparison.OrdinalIgnoreCase))
        {
            kafka = StartEmbeddedKafka(topics, logger);
            bootstrap = kafka.BootstrapServers;

            // The connector reads the environment variable first; point it at the embedded broker too.
            Environment.SetEnvironmentVariable(KafkaDefaults.BootstrapServersEnvironmentVariable, bootstrap);
        }

        // The embedded broker forgets its topics at exit, so offsets start at 0 again next time: entity
        // state kept from an earlier run would take every new record for a redelivery. Unless a SQLite
        // path is set explicitly, an embedded-Kafka node keeps its state in a temporary file.
        string? temporaryState = null;
        var persistenceOverrides = ConfigurationFactory.Empty;
        if (kafka is not null && !config.HasPath("actorstream.persistence.sqlite.path"))
        {
            temporaryState = Directory.CreateTempSubdirectory("actorstream-state-").FullName;
            var path = Path.Combine(temporaryState, "actorstream.db").Replace("\\", "/", StringComparison.Ordinal);
            persistenceOverrides = ConfigurationFactory.ParseString($"actorstream.persistence.sqlite.path = \"{path}\"");
        }

        SchemaRegistryServer? schemaRegistry;
        try
        {
            schemaRegistry = StartEmbeddedSchemaRegistry(config, pipelines, kafka is not null, temporaryState, logger);
        }
        catch (Exception)
        {
            kafka?.Dispose();
            DeleteTemporaryState(temporaryState);
            throw;
        }

        var registryOverrides = schemaRegistry is null
            ? ConfigurationFactory.Empty
            : ConfigurationFactory.ParseString($"actorstream.schema-registry.url = \"{RegistryUrl(schemaRegistry)}\"");

        var effective = ConfigurationFactory.ParseString($"actorstream.kafka.bootstrap-servers = \"{bootstrap}\"")
            .WithFallback(formation.AkkaConfig())
            .WithFallback(registryOverrides)
            .WithFallback(persistenceOverrides)
            .WithFallback(config)
            .WithFallback(ActorStreamPersistence.SerializationConfig);
        EntityStoreSettings persistence;
        try
        {
            persistence = EntityStoreSettings.FromConfig(effective);
        }
        catch (PersistenceConfigurationException ex)
        {
            schemaRegistry?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            kafka?.Dispose();
            DeleteTemporaryState(temporaryState);
            throw new NodeConfigException(ex.Message);
        }

        logger.LogInformation("Entity state: {Store}{Temporary}", persistence.Describe(),
            temporaryState is null ? "" : " (temporary: the embedded broker starts empty each run; set actorstream.persistence.sqlite.path to keep it)");

        if (kafka is null)
        {
            CheckTopics(effective, pipelines, topics, logger);
        }

        var system = ActorSystem.Create("actorstream", effective);
        ManagementEndpoint? management = null;
        try
        {
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            management = StartFormation(system, formation, logger);

            // Pipelines start once this node is an Up member, so shards can be allocated at once.
            var joinTimeout = NodeConfig.JoinTimeout(effective);
            if (!up.Task.Wait(joinTimeout))
            {
                throw new NodeConfigException(
                    $"the node did not become an Up cluster member within actorstream.node.join-timeout ({joinTimeout}); {formation.Describe()}");
            }

            ActorStreamExtension.Get(system).Configure(entities: registry);
            var running = pipelines.Select(p =>
            {
                logger.LogInformation("Starting pipeline {Pipeline}: {Topics} → entity {Entity} (group {Group}, DLQ {Dlq})",
                    p.Name, string.Join(",", p.Topics), p.Entity, p.GroupId, p.DlqTopic);
                return Pipeline.Start(system, p);
            }).ToList();
            var node = new ActorStreamNode(system, running, kafka, bootstrap, logger, NodeConfig.StopTimeout(effective)) { _temporaryStateDirectory = temporaryState, SchemaRegistry = schemaRegistry };
            if (http.Enabled)
            {
                node.Http = NodeHttpServer.StartAsync(node, http, logger).GetAwaiter().GetResult();
                logger.LogInformation("HTTP endpoints at {Url}: /metrics, /health/live, /health/ready, /api/pipelines, /api/lag, /api/alerts", node.Http.Url);
            }

            return node;
        }
        catch (Exception ex)
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            management?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            schemaRegistry?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            kafka?.Dispose();
            DeleteTemporaryState(temporaryState);
            for (var e = (Exception?)ex; e is not null; e = e.InnerException)
            {
                if (e is PersistenceConfigurationException storeProblem)
                {
                    throw new NodeConfigException(storeProblem.Message);
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Seed-nodes formation: Akka.Cluster joins the configured seed nodes by itself; without any, the
    /// node joins itself. Bootstrap: the management endpoint (<see cref="ManagementEndpoint"/>) serves
    /// this node's contact point and Akka.Management's Cluster Bootstrap discovers the others; the
    /// node with the lowest contact point forms the cluster once the required number of contact
    /// points answered, the rest join it.
    /// </summary>
    /// <returns>The management endpoint (bootstrap), which coordinated shutdown stops; else null.</returns>
    private static ManagementEndpoint? StartFormation(ActorSystem system, ClusterFormationSettings formation, ILogger logger)
    {
        var cluster = Cluster.Get(system);
        if (formation.Mode == FormationMode.SeedNodes)
        {
            if (formation.SeedNodes.Count == 0)
            {
                cluster.Join(cluster.SelfAddress);
            }

            logger.LogInformation("Cluster formation: {Formation}", formation.Describe());
            return null;
        }

        if (formation.Discovery == DiscoveryMethod.Config && !formation.ListsItself)
        {
            // Legitimate for a node that joins an existing cluster, but then it can never be the one
            // that forms it; most often this is a hostname that differs from the list (localhost vs 127.0.0.1).
            logger.LogWarning("This node's management endpoint {Host}:{Port} is not among {Key}; it can join a cluster the listed nodes formed, but never form one itself",
                formation.ManagementHostname, formation.ManagementPort, ClusterFormationSettings.ContactPointsKey);
        }

        var endpoint = ManagementEndpoint.StartAsync(system, formation).GetAwaiter().GetResult();
        ClusterBootstrap.Get(system).Start().GetAwaiter().GetResult();
        logger.LogInformation("Cluster formation: {Formation}; management endpoint at {Url}", formation.Describe(), endpoint.SelfContactPoint);
        return endpoint;
    }

    /// <summary>Graceful stop: every pipeline stops intake, drains and commits; then the system and broker stop.</summary>
    public async Task StopAsync()
    {
        // Coordinated shutdown drains the pipelines in its service-requests-done phase (see Pipeline.Start);
        // awaiting the same idempotent stops here only adds the log lines.
        var shutdown = CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        foreach (var pipeline in Pipelines)
        {
            try
            {
                await pipeline.StopAsync(_stopTimeout);
                if (pipeline.StoppedWithoutDrain)
                {
                    _logger.LogWarning("Pipeline {Pipeline} stopped without draining (node downed); its partitions continue on the other members from their last commit", pipeline.Settings.Name);
                }
                else
                {
                    _logger.LogInformation("Pipeline {Pipeline} stopped; processed offsets committed", pipeline.Settings.Name);
                }
            }
            catch (Exception ex)
            {
                _logger.LogWarning("Pipeline {Pipeline} did not stop cleanly: {Error}", pipeline.Settings.Name, ex.GetBaseException().Message);
            }
        }

        await shutdown.WaitAsync(_stopTimeout);
        if (Http is not null)
        {
            await Http.DisposeAsync();
        }

        // After the pipelines: they may still fetch schemas while they drain.
        if (SchemaRegistry is not null)
        {
            await SchemaRegistry.DisposeAsync();
        }

        EmbeddedKafka?.Dispose();
        DeleteTemporaryState(_temporaryStateDirectory);
    }

    /// <summary>
    /// Starts the embedded schema registry when <c>actorstream.schema-registry.embedded = on</c>, no
    /// registry URL is configured (<c>actorstream.schema-registry.url</c>, <c>SCHEMA_REGISTRY_URL</c>), and
    /// the node runs the embedded stack (embedded Kafka) or a pipeline checks schemas. With embedded Kafka
    /// and no explicit SQLite path, the registry's file is temporary like the entity state (the broker
    /// starts empty, so must the schemas).
    /// </summary>
    private static SchemaRegistryServer? StartEmbeddedSchemaRegistry(Config config, IReadOnlyList<PipelineSettings> pipelines, bool embeddedKafka, string? temporaryState, ILogger logger)
    {
        SchemaRegistrySettings settings;
        try
        {
            settings = SchemaRegistrySettings.Create(config);
        }
        catch (SchemaRegistryConfigurationException ex)
        {
            throw new NodeConfigException(ex.Message);
        }

        var urlConfigured = settings.Url.Length > 0 || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("SCHEMA_REGISTRY_URL"));
        var needed = embeddedKafka || pipelines.Any(p => p.ValueFormat != ValueFormat.Json || p.EmitFormat != EmitFormat.Json);
        if (!settings.Embedded || urlConfigured || !needed)
        {
            return null;
        }

        if (temporaryState is not null && settings.StorageProvider == StorageProvider.Sqlite && !config.HasPath("actorstream.schema-registry.storage.sqlite.path"))
        {
            settings = settings.WithSqlitePath(Path.Combine(temporaryState, "schema-registry.db"));
        }

        var server = SchemaRegistryServer.StartAsync(settings).GetAwaiter().GetResult();
        logger.LogInformation("Schema registry at {Url}", RegistryUrl(server));
        return server;
    }

    private static string RegistryUrl(SchemaRegistryServer server) => server.Url.ToString().TrimEnd('/');

    private static void DeleteTemporaryState(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    private static EmbeddedKafka StartEmbeddedKafka(IReadOnlyList<TopicSettings> topics, ILogger logger)
    {
        var kafka = EmbeddedKafka.Start(1);
        foreach (var topic in topics)
        {
            kafka.CreateTopic(topic.Name, topic.Partitions);
        }

        logger.LogInformation("Embedded Kafka at {BootstrapServers} with topics {Topics}",
            kafka.BootstrapServers, string.Join(", ", topics.Select(t => $"{t.Name} ({t.Partitions} partitions)")));
        return kafka;
    }

    /// <summary>
    /// Start-up check against the cluster: every topic the pipelines read, emit to and dead-letter to
    /// exists, and declared partition counts match (a different count changes key placement and the
    /// parallelism the deployment was sized for).
    /// </summary>
    private static void CheckTopics(Config config, IReadOnlyList<PipelineSettings> pipelines, IReadOnlyList<TopicSettings> topics, ILogger logger)
    {
        IReadOnlyDictionary<string, ClusterTopic> cluster;
        try
        {
            using var admin = KafkaTopicAdmin.Create(config, NodeConfig.TopicCheckTimeout(config));
            cluster = admin.DescribeAsync(topics.Select(t => t.Name)).GetAwaiter().GetResult();
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            throw new NodeConfigException(
                $"cannot read topic metadata from Kafka at {NodeConfig.BootstrapServers(config)}: {ex.Error.Reason}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable} and that the brokers are reachable");
        }

        var problems = new List<string>();
        foreach (var topic in topics)
        {
            var users = pipelines.Where(p => p.Topics.Contains(topic.Name) || p.EmitTopics.Contains(topic.Name) || p.DlqTopic == topic.Name)
                .Select(p => $"pipeline {p.Name}").ToList();
            if (!cluster.TryGetValue(topic.Name, out var actual))
            {
                problems.Add($"topic '{topic.Name}' ({string.Join(", ", users)}) does not exist; create it with `actorstream topics apply` (same --config) or your platform's tooling");
            }
            else if (actual.Partitions != topic.Partitions)
            {
                var message = $"topic '{topic.Name}' has {actual.Partitions} partitions, declared {topic.Partitions} (actorstream.topics.\"{topic.Name}\".partitions)";
                if (topic.Origin == TopicOrigin.Declared)
                {
                    problems.Add(message + "; fix the declaration or the topic (`actorstream topics plan` shows the differences)");
                }
                else
                {
                    logger.LogWarning("{Message} — derived from actorstream.topic-defaults; declare the topic to make this an error", message);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new NodeConfigException(string.Join(Environment.NewLine + "  ", ["topics do not match the configuration:", .. problems]));
        }
    }
}
