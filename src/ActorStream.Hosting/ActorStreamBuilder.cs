using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Entities;
using ActorStream.Hosting.Internal;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Hosting;

/// <summary>
/// Declares an ActorStream node, given to
/// <see cref="ActorStreamServiceCollectionExtensions.AddActorStream"/> or
/// <see cref="ActorStreamAkkaHostingExtensions.WithActorStream"/>: the entity types it hosts, the
/// pipelines it runs, and its configuration sources. Pipelines declared here and pipelines read
/// from <c>actorstream.pipelines.*</c> give the same <see cref="PipelineSettings"/>. Entities are
/// created from the host's service provider (constructor injection, a DI scope per entity
/// instance); entities with a parameterless constructor need nothing registered.
/// </summary>
/// <example>
/// <code>
/// services.AddActorStream(b => b
///     .WithBootstrapServers(configuration["Kafka:BootstrapServers"]!)
///     .AddPipeline&lt;AccountEntity&gt;("accounts", p => p
///         .Topic("accounts")
///         .EmitTo("accounts.balances")
///         .Retry(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2)));
/// </code>
/// </example>
public sealed class ActorStreamBuilder
{
    private readonly List<PipelineDeclaration> _pipelines = [];
    private readonly List<Config> _config = [];
    private readonly List<string> _files = [];
    private readonly List<string> _commandLineSettings = [];
    private readonly Dictionary<Type, string> _entityNames = [];
    private readonly DeferredEntityFactory _factory = new();

    internal ActorStreamBuilder()
    {
        Entities = new EntityRegistry(_factory);
    }

    /// <summary>
    /// The entity types this node can host; <see cref="AddEntity{TEntity}"/> and <see cref="AddPipeline{TEntity}"/>
    /// add to it. Its entities are created from the host's service provider once the node starts.
    /// </summary>
    public EntityRegistry Entities { get; }

    internal DeferredEntityFactory EntityFactory => _factory;

    internal IReadOnlyList<string> ConfigFiles => _files;

    internal IReadOnlyList<string> CommandLineSettings => _commandLineSettings;

    /// <summary>How errors name the HOCON files: <c>--config</c> for the CLI.</summary>
    internal string ConfigFileOption { get; private set; } = "configuration file";

    /// <summary>Whether the application's Microsoft.Extensions.Configuration is read (see <see cref="WithAppConfiguration"/>).</summary>
    internal bool UseAppConfiguration { get; private set; } = true;

    internal Microsoft.Extensions.Configuration.IConfiguration? AppConfiguration { get; private set; }

    internal IReadOnlyList<PipelineDeclaration> Pipelines => _pipelines;

    /// <summary>The configuration given in code, earliest first: <see cref="WithConfig(Config)"/> blocks, then <see cref="WithBootstrapServers"/>.</summary>
    internal IReadOnlyList<Config> CodeConfig() => BootstrapServers is { } servers
        ? [.. _config, ConfigurationFactory.ParseString($"actorstream.kafka.bootstrap-servers = \"{servers.Replace("\"", "", StringComparison.Ordinal)}\"")]
        : _config;

    internal bool PipelinesFromConfig { get; private set; }

    internal string? BootstrapServers { get; private set; }

    internal string ActorSystemName { get; private set; } = "actorstream";

    internal bool JoinSelfWithoutSeeds { get; private set; } = true;

    /// <summary>
    /// Sets <c>actorstream.kafka.bootstrap-servers</c>. Without it the value comes from the
    /// <c>KAFKA_BOOTSTRAP_SERVERS</c> environment variable or the configuration.
    /// </summary>
    /// <param name="bootstrapServers">Comma-separated <c>host:port</c> list.</param>
    /// <exception cref="ArgumentException">The value is blank.</exception>
    public ActorStreamBuilder WithBootstrapServers(string bootstrapServers)
    {
        if (string.IsNullOrWhiteSpace(bootstrapServers))
        {
            throw new ArgumentException("actorstream.kafka.bootstrap-servers: must be a non-empty host:port list", nameof(bootstrapServers));
        }

        BootstrapServers = bootstrapServers.Trim();
        return this;
    }

    /// <summary>Names the actor system (default <c>actorstream</c>); every node of a cluster must use the same name.</summary>
    /// <param name="name">An Akka actor system name.</param>
    public ActorStreamBuilder WithActorSystemName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"'{name}' is not a valid actor system name: use ASCII letters, digits, '-' and '_'", nameof(name));
        }

        ActorSystemName = name;
        return this;
    }

    /// <summary>
    /// Adds HOCON configuration (e.g. <c>actorstream.pipeline-defaults</c>, connector settings).
    /// Added blocks take precedence over the module defaults; later calls over earlier ones.
    /// </summary>
    /// <param name="hocon">HOCON text.</param>
    public ActorStreamBuilder WithConfig(string hocon) => WithConfig(ConfigurationFactory.ParseString(hocon));

    /// <summary>Adds configuration; see <see cref="WithConfig(string)"/>.</summary>
    /// <param name="config">A parsed configuration.</param>
    public ActorStreamBuilder WithConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config.Add(config);
        return this;
    }

    /// <summary>
    /// Adds a HOCON configuration file (repeatable; a later file over an earlier one; <c>include</c>
    /// resolves relative to the file). Files take precedence over configuration given in code and
    /// yield to the application's Microsoft.Extensions.Configuration (appsettings.json, environment
    /// <c>ActorStream__Http__Port</c>, command line), the <c>ACTORSTREAM_*</c> variables and
    /// <c>KAFKA_BOOTSTRAP_SERVERS</c>. The file is read when the host starts.
    /// </summary>
    /// <param name="path">The file's path (relative to the working directory).</param>
    public ActorStreamBuilder WithConfigFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _files.Add(path);
        return this;
    }

    /// <summary>
    /// Which Microsoft.Extensions.Configuration the node maps onto <c>actorstream.*</c> / <c>akka.*</c>
    /// (its <c>ActorStream</c> and <c>Akka</c> sections): by default the host's <c>IConfiguration</c>;
    /// null reads none.
    /// </summary>
    /// <param name="configuration">The configuration, or null for none.</param>
    public ActorStreamBuilder WithAppConfiguration(Microsoft.Extensions.Configuration.IConfiguration? configuration)
    {
        UseAppConfiguration = configuration is not null;
        AppConfiguration = configuration;
        return this;
    }

    /// <summary>The CLI's <c>--config</c> files and <c>--set path=value</c> overrides (the first of a key wins; above every other source).</summary>
    internal ActorStreamBuilder WithCommandLine(IReadOnlyList<string> configFiles, IReadOnlyList<string> settings)
    {
        _files.AddRange(configFiles);
        _commandLineSettings.AddRange(settings);
        ConfigFileOption = "--config";
        return this;
    }

    /// <summary>
    /// By default a node without <c>akka.cluster.seed-nodes</c> joins itself (a single-node cluster).
    /// Turn that off when cluster formation is done elsewhere (Akka.Management, a manual join).
    /// </summary>
    /// <param name="join">Whether to join itself when no seed nodes are configured.</param>
    public ActorStreamBuilder JoinSelfWhenNoSeedNodes(bool join)
    {
        JoinSelfWithoutSeeds = join;
        return this;
    }

    /// <summary>Registers an entity type under <paramref name="name"/>, for pipelines that name it (<c>entity = "Account"</c>).</summary>
    /// <typeparam name="TEntity">
    /// A <see cref="RecordEntity{TValue}"/> or <see cref="EventSourcedEntity{TValue, TState, TEvent}"/>
    /// subclass. Created from the host's service provider: its constructor may take registered
    /// services (checked when the node starts), with a DI scope per entity instance.
    /// </typeparam>
    /// <param name="name">The entity name; default: the class name without an <c>Entity</c> suffix.</param>
    public ActorStreamBuilder AddEntity<TEntity>(string? name = null)
        where TEntity : ActorBase
    {
        var entityName = name ?? EntityNames.Default(typeof(TEntity));
        Entities.Register<TEntity>(entityName);
        _entityNames.TryAdd(typeof(TEntity), entityName);
        return this;
    }

    /// <summary>
    /// Declares a pipeline whose records go to <typeparamref name="TEntity"/> entities (registered
    /// under its default name if it is not registered yet). The pipeline starts from
    /// <c>actorstream.pipeline-defaults</c>; <paramref name="configure"/> sets the rest, at least
    /// the topic. Its shard region is then injectable as <c>IRequiredActor&lt;TEntity&gt;</c>.
    /// </summary>
    /// <typeparam name="TEntity">The entity actor type.</typeparam>
    /// <param name="name">The pipeline's name (also its default consumer group).</param>
    /// <param name="configure">Sets topics, limits, retry and supervision.</param>
    /// <exception cref="PipelineConfigurationException">The name is invalid or taken, or a value set by <paramref name="configure"/> is invalid.</exception>
    public ActorStreamBuilder AddPipeline<TEntity>(string name, Action<PipelineSettingsBuilder> configure)
        where TEntity : ActorBase
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (_pipelines.Any(p => p.Name == name))
        {
            throw new PipelineConfigurationException(name, "", "is declared twice");
        }

        if (!_entityNames.TryGetValue(typeof(TEntity), out var entityName))
        {
            AddEntity<TEntity>();
            entityName = _entityNames[typeof(TEntity)];
        }

        var declaration = new PipelineDeclaration(name, defaults =>
        {
            var builder = new PipelineSettingsBuilder(name, defaults).Entity(entityName);
            configure(builder);
            return builder.Build();
        }, (registry, region) => registry.TryRegister<TEntity>(region, overwrite: true));

        // Fail at registration, not at start, for what can be checked now (reference defaults only).
        declaration.Build(null);
        _pipelines.Add(declaration);
        return this;
    }

    /// <summary>Refuses a node without any pipeline (neither declared nor read from configuration).</summary>
    internal void RequirePipelines()
    {
        if (_pipelines.Count == 0 && !PipelinesFromConfig)
        {
            throw new InvalidOperationException(
                "AddActorStream: no pipeline is declared; add one with AddPipeline<TEntity>(name, p => p.Topic(...)) or AddPipelinesFromConfig()");
        }
    }

    /// <summary>
    /// Also runs every pipeline configured under <c>actorstream.pipelines.*</c> (their entities
    /// must be registered with <see cref="AddEntity{TEntity}"/>).
    /// </summary>
    public ActorStreamBuilder AddPipelinesFromConfig()
    {
        PipelinesFromConfig = true;
        return this;
    }
}
