using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace ActorStream.Persistence;

/// <summary>
/// Per actor system: the storage of event-sourced entities. On first use it reads
/// <see cref="EntityStoreSettings"/> (<c>actorstream.persistence</c>), prepares the SQLite file
/// (directory, WAL mode), adds the Akka.Persistence.Sql journal and snapshot-store plugins at
/// <see cref="JournalPluginId"/> / <see cref="SnapshotPluginId"/> to the system's configuration (as
/// fallback: keys set by the application under those paths win), and makes sure the envelope
/// serializer is bound.
/// </summary>
public sealed class ActorStreamPersistence : IExtension
{
    /// <summary>Configuration path (and plugin id) of the journal used by event-sourced entities.</summary>
    public const string JournalPluginId = "actorstream.persistence.journal";

    /// <summary>Configuration path (and plugin id) of the snapshot store used by event-sourced entities.</summary>
    public const string SnapshotPluginId = "actorstream.persistence.snapshot-store";

    /// <summary>Name of the serializer in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "actorstream-entity-events";

    private readonly ExtendedActorSystem _system;

    internal ActorStreamPersistence(ExtendedActorSystem system)
    {
        _system = system;
        Settings = EntityStoreSettings.FromConfig(system.Settings.Config);
        PrepareStorage(Settings);
        system.Settings.InjectTopLevelFallback(PluginConfig(Settings));
        EnsureSerializer(system);
    }

    /// <summary>
    /// The serializer registration (<c>akka.actor.serializers</c>, <c>serialization-bindings</c>,
    /// <c>serialization-identifiers</c>) for the journal/snapshot envelopes. Required in the
    /// configuration of every actor system that hosts event-sourced entities (actorstream nodes
    /// include it); without it the extension refuses to start.
    /// </summary>
    public static Config SerializationConfig => ConfigurationFactory.ParseString(SerializationHocon);

    /// <summary><see cref="SerializationConfig"/> as HOCON text (to embed in other configuration text).</summary>
    public static string SerializationHocon => $$"""
        akka.actor {
          serializers {
            {{SerializerName}} = "{{typeof(EntityEventSerializer).AssemblyQualifiedNameShort()}}"
          }
          serialization-bindings {
            "{{typeof(PersistedEvent).AssemblyQualifiedNameShort()}}" = {{SerializerName}}
            "{{typeof(PersistedDelivery).AssemblyQualifiedNameShort()}}" = {{SerializerName}}
            "{{typeof(PersistedSnapshot).AssemblyQualifiedNameShort()}}" = {{SerializerName}}
          }
          serialization-identifiers {
            "{{typeof(EntityEventSerializer).AssemblyQualifiedNameShort()}}" = {{EntityEventSerializer.SerializerIdentifier}}
          }
        }
        """;

    /// <summary>The storage settings in force.</summary>
    public EntityStoreSettings Settings { get; }

    /// <summary>The extension of <paramref name="system"/> (created, and storage prepared, on first call).</summary>
    /// <exception cref="PersistenceConfigurationException">The persistence settings are invalid.</exception>
    public static ActorStreamPersistence Get(ActorSystem system) => system.WithExtension<ActorStreamPersistence, ActorStreamPersistenceId>();

    /// <summary>
    /// The Akka.Persistence.Sql plugin configuration for <paramref name="settings"/>, at
    /// <see cref="JournalPluginId"/> and <see cref="SnapshotPluginId"/>, with the plugin's own
    /// defaults (<c>SqlPersistence.DefaultConfiguration</c>) behind it.
    /// </summary>
    public static Config PluginConfig(EntityStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var mapping = settings.Provider == PersistenceProvider.Sqlite ? "sqlite" : "postgresql";
        var schema = settings.Provider == PersistenceProvider.PostgreSql ? $"{mapping}.schema-name = {Quote(settings.PostgresSchema)}" : "";
        var auto = settings.AutoInitialize ? "on" : "off";
        var ours = ConfigurationFactory.ParseString($$"""
            actorstream.persistence {
              journal {
                class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                plugin-id = "{{JournalPluginId}}"
                connection-string = {{Quote(settings.ConnectionString)}}
                provider-name = "{{settings.ProviderName}}"
                table-mapping = {{mapping}}
                {{schema}}
                auto-initialize = {{auto}}
                # Deletes keep the highest sequence number without the metadata table.
                delete-compatibility-mode = false
              }
              snapshot-store {
                class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                plugin-id = "{{SnapshotPluginId}}"
                connection-string = {{Quote(settings.ConnectionString)}}
                provider-name = "{{settings.ProviderName}}"
                table-mapping = {{mapping}}
                {{schema}}
                auto-initialize = {{auto}}
              }
            }
            """);
        var defaults = SqlPersistence.DefaultConfiguration;
        var journalDefaults = defaults.GetConfig("akka.persistence.journal.sql");
        var snapshotDefaults = defaults.GetConfig("akka.persistence.snapshot-store.sql");
        var wrapped = ConfigurationFactory.ParseString(
            $"actorstream.persistence {{\n journal {{\n{Render(journalDefaults)}\n}}\n snapshot-store {{\n{Render(snapshotDefaults)}\n}}\n}}");
        return ours.WithFallback(wrapped).WithFallback(defaults);
    }

    /// <summary>
    /// Creates the journal and snapshot tables now (when <c>auto-initialize</c> is on) and checks that
    /// both stores answer: replays a probe persistence id and loads its snapshot. Used by
    /// <c>actorstream db init</c>.
    /// </summary>
    /// <exception cref="TimeoutException">A store did not answer in time.</exception>
    /// <exception cref="InvalidOperationException">A store answered with an error.</exception>
    public async Task VerifyStoresAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            // A persistent actor's recovery loads its latest snapshot and replays its journal: both
            // stores answer (and, with auto-initialize, create their tables) or it fails.
            var done = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var probe = _system.ActorOf(Props.Create(() => new StoreCheck(done)));
            var finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false);
            _system.Stop(probe);
            last = finished == done.Task ? done.Task.Result : new TimeoutException("no answer within 15s");
            if (last is null)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }

        throw new TimeoutException($"the persistence stores did not answer within {timeout}: {last?.Message}", last);
    }

    private static void PrepareStorage(EntityStoreSettings settings)
    {
        if (settings.Provider != PersistenceProvider.Sqlite)
        {
            return;
        }

        var file = Path.GetFullPath(settings.SqlitePath);
        string? mode;
        try
        {
            var directory = Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            // WAL is a property of the file: set once, kept by every later connection. Readers then do
            // not block the writer; the busy timeout (Default Timeout) covers journal vs snapshot writers.
            using var connection = new SqliteConnection(settings.ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            mode = command.ExecuteScalar() as string;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new PersistenceConfigurationException($"{EntityStoreSettings.Path}.sqlite.path", $"cannot open the SQLite file '{file}': {ex.Message}");
        }

        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new PersistenceConfigurationException($"{EntityStoreSettings.Path}.sqlite.path", $"could not switch '{file}' to WAL mode (journal_mode is '{mode}')");
        }
    }

    private static void EnsureSerializer(ExtendedActorSystem system)
    {
        // The binding must come from configuration: a serializer added programmatically after start
        // is not picked up by the journal's write path (it silently fell back to the default JSON
        // serializer, writing envelopes it cannot read back), so refuse to start instead.
        var configured = system.Settings.Config.GetString($"akka.actor.serializers.{SerializerName}", null);
        if (string.IsNullOrEmpty(configured) || system.Serialization.FindSerializerForType(typeof(PersistedEvent)) is not EntityEventSerializer)
        {
            throw new PersistenceConfigurationException($"akka.actor.serializers.{SerializerName}",
                "the event envelope serializer is not bound: create the actor system with ActorStreamPersistence.SerializationConfig in its configuration (actorstream nodes do this)");
        }
    }

    private static string Render(Config section) => section.Root.ToString();

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

/// <summary>Recovers an empty persistence id and reports whether both stores answered.</summary>
internal sealed class StoreCheck : UntypedPersistentActor
{
    private readonly TaskCompletionSource<Exception?> _done;

    public StoreCheck(TaskCompletionSource<Exception?> done)
    {
        _done = done;
        JournalPluginId = ActorStreamPersistence.JournalPluginId;
        SnapshotPluginId = ActorStreamPersistence.SnapshotPluginId;
    }

    public override string PersistenceId => "__actorstream-db-check";

    protected override void OnRecover(object message)
    {
        if (message is RecoveryCompleted)
        {
            _done.TrySetResult(null);
        }
    }

    protected override void OnCommand(object message)
    {
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _done.TrySetResult(reason);
        base.OnRecoveryFailure(reason, message);
    }
}

/// <summary>Extension id of <see cref="ActorStreamPersistence"/>.</summary>
public sealed class ActorStreamPersistenceId : ExtensionIdProvider<ActorStreamPersistence>
{
    /// <inheritdoc />
    public override ActorStreamPersistence CreateExtension(ExtendedActorSystem system) => new(system);
}

internal static class TypeNames
{
    /// <summary>"Namespace.Type, Assembly" (what Akka's serialization config expects).</summary>
    public static string AssemblyQualifiedNameShort(this Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
