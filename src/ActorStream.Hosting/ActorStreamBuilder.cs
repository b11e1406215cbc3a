using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Entities;
using ActorStream.Hosting.Internal;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Hosting;

/// <summary>
/// Code-first configuration of an ActorStream node, given to
/// <see cref="ActorStreamServiceCollectionExtensions.AddActorStream"/>:
/// the entity types it hosts and the pipelines it runs. Pipelines declared here and pipelines read
/// from <c>actorstream.pipelines.*</c> give the same <see cref="PipelineSettings"/>.
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
    private readonly Dictionary<Type, string> _entityNames = [];

    internal ActorStreamBuilder()
    {
    }

    /// <summary>The entity types this node can host; <see cref="AddEntity{TEntity}"/> and <see cref="AddPipeline{TEntity}"/> add to it.</summary>
    public EntityRegistry Entities { get; } = new();

    internal IReadOnlyList<PipelineDeclaration> Pipelines => _pipelines;

    internal IReadOnlyList<Config> Config => _config;

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
    /// <typeparam name="TEntity">A <see cref="RecordEntity{TValue}"/> subclass with a public parameterless constructor.</typeparam>
    /// <param name="name">The entity name; default: the class name without an <c>Entity</c> suffix.</param>
    public ActorStreamBuilder AddEntity<TEntity>(string? name = null)
        where TEntity : ActorBase, new()
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
        where TEntity : ActorBase, new()
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
