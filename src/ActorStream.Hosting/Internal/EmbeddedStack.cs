using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Pipelines.Settings;
using ActorStream.SchemaRegistry;
using ActorStream.TestKit;
using ActorStream.Topics;
using Microsoft.Extensions.Logging;
using Config = Akka.Configuration.Config;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// What a development node runs in its own process: the embedded Kafka broker
/// (<c>bootstrap-servers = embedded</c>) with the declared topics, the embedded schema registry, and
/// the temporary directory their state lives in.
/// </summary>
internal sealed class EmbeddedStack : IAsyncDisposable
{
    private int _disposed;

    private EmbeddedStack(EmbeddedKafka? kafka, SchemaRegistryServer? registry, string? temporaryState)
    {
        Kafka = kafka;
        Registry = registry;
        TemporaryState = temporaryState;
    }

    public static EmbeddedStack None { get; } = new(null, null, null);

    public EmbeddedKafka? Kafka { get; }

    public SchemaRegistryServer? Registry { get; private set; }

    /// <summary>The temporary directory of entity state and registry (embedded broker without an explicit SQLite path), else null.</summary>
    public string? TemporaryState { get; }

    /// <summary>Starts the embedded broker with <paramref name="topics"/>, and a temporary state directory unless the SQLite path is set.</summary>
    public static EmbeddedStack StartKafka(Config config, IReadOnlyList<TopicSettings> topics, ILogger logger)
    {
        var kafka = EmbeddedKafka.Start(1);
        foreach (var topic in topics)
        {
            kafka.CreateTopic(topic.Name, topic.Partitions);
        }

        logger.LogInformation("Embedded Kafka at {BootstrapServers} with topics {Topics}",
            kafka.BootstrapServers, string.Join(", ", topics.Select(t => $"{t.Name} ({t.Partitions} partitions)")));

        // The embedded broker forgets its topics at exit, so offsets start at 0 again next time: entity
        // state kept from an earlier run would take every new record for a redelivery. Unless a SQLite
        // path is set explicitly, an embedded-Kafka node keeps its state in a temporary file.
        var temporary = config.HasPath("actorstream.persistence.sqlite.path") ? null : Directory.CreateTempSubdirectory("actorstream-state-").FullName;
        return new EmbeddedStack(kafka, null, temporary);
    }

    /// <summary>The entity store path override for the temporary directory (empty without one).</summary>
    public Config PersistenceOverrides() => TemporaryState is null
        ? Akka.Configuration.ConfigurationFactory.Empty
        : Akka.Configuration.ConfigurationFactory.ParseString($"actorstream.persistence.sqlite.path = {NodeConfig.Quote(Path.Combine(TemporaryState, "actorstream.db").Replace("\\", "/", StringComparison.Ordinal))}");

    /// <summary>
    /// Starts the embedded schema registry when <c>actorstream.schema-registry.embedded = on</c>, no
    /// registry URL is configured (<c>actorstream.schema-registry.url</c>, <c>SCHEMA_REGISTRY_URL</c>), and
    /// the node runs the embedded stack (embedded Kafka) or a pipeline checks schemas. With embedded Kafka
    /// and no explicit SQLite path, the registry's file is temporary like the entity state (the broker
    /// starts empty, so must the schemas).
    /// </summary>
    /// <exception cref="NodeConfigException">The registry settings are invalid.</exception>
    public async Task StartRegistryAsync(Config config, IReadOnlyList<PipelineSettings> pipelines, ILogger logger)
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
        var needed = Kafka is not null || pipelines.Any(p => p.ValueFormat != ValueFormat.Json || p.EmitFormat != EmitFormat.Json);
        if (!settings.Embedded || urlConfigured || !needed)
        {
            return;
        }

        if (TemporaryState is not null && settings.StorageProvider == StorageProvider.Sqlite && !config.HasPath("actorstream.schema-registry.storage.sqlite.path"))
        {
            settings = settings.WithSqlitePath(Path.Combine(TemporaryState, "schema-registry.db"));
        }

        Registry = await SchemaRegistryServer.StartAsync(settings).ConfigureAwait(false);
        logger.LogInformation("Schema registry at {Url}", RegistryUrl);
    }

    /// <summary>The registry's URL without the trailing slash, when it runs.</summary>
    public string? RegistryUrl => Registry?.Url.ToString().TrimEnd('/');

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // After the pipelines: they may still fetch schemas while they drain.
        if (Registry is not null)
        {
            await Registry.DisposeAsync().ConfigureAwait(false);
        }

        Kafka?.Dispose();
        if (TemporaryState is not null)
        {
            try
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(TemporaryState, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        }
    }
}
