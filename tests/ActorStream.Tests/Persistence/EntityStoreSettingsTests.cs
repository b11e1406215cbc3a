using Akka.Configuration;
using ActorStream.Persistence;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Tests.Persistence;

public sealed class EntityStoreSettingsTests
{
    [Fact]
    public void Defaults_are_a_sqlite_file_under_data_in_wal_mode_with_auto_initialize()
    {
        var settings = EntityStoreSettings.FromConfig(ConfigurationFactory.Empty);
        Assert.Equal(PersistenceProvider.Sqlite, settings.Provider);
        Assert.Equal("data/actorstream.db", settings.SqlitePath);
        Assert.True(settings.AutoInitialize);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.SqliteBusyTimeout);
        Assert.Equal("SQLite.MS", settings.ProviderName);
        Assert.Contains(Path.GetFullPath("data/actorstream.db"), settings.ConnectionString);
        Assert.Contains("Default Timeout=30", settings.ConnectionString);
    }

    [Fact]
    public void PostgreSQL_takes_the_connection_string_from_config()
    {
        var settings = EntityStoreSettings.FromConfig(ConfigurationFactory.ParseString("""
            actorstream.persistence { provider = postgresql, postgresql.connection-string = "Host=db;Database=x;Username=u;Password=secret" }
            """));
        Assert.Equal(PersistenceProvider.PostgreSql, settings.Provider);
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(("db", "x", "u", "secret"), (connection.Host, connection.Database, connection.Username, connection.Password));
        Assert.DoesNotContain("secret", settings.Describe());
    }

    [Fact]
    public void PostgreSQL_sessions_get_an_idle_in_transaction_timeout_so_a_frozen_node_cannot_hold_journal_locks()
    {
        static string? Options(string hocon) => new Npgsql.NpgsqlConnectionStringBuilder(EntityStoreSettings.FromConfig(ConfigurationFactory.ParseString(
            "actorstream.persistence { provider = postgresql, postgresql.connection-string = \"Host=db;Database=x;Options='-c search_path=app'\" }\n" + hocon)).ConnectionString).Options;

        Assert.Equal("-c search_path=app -c idle_in_transaction_session_timeout=10000", Options(""));
        Assert.Equal("-c search_path=app -c idle_in_transaction_session_timeout=3000", Options("actorstream.persistence.postgresql.idle-in-transaction-timeout = 3s"));
        Assert.Equal("-c search_path=app", Options("actorstream.persistence.postgresql.idle-in-transaction-timeout = off"));
        var ex = Assert.Throws<PersistenceConfigurationException>(() => Options("actorstream.persistence.postgresql.idle-in-transaction-timeout = 100ms"));
        Assert.Equal("actorstream.persistence.postgresql.idle-in-transaction-timeout: must be a duration >= 1s (e.g. 10s) or off, got '100ms'", ex.Message);
    }

    [Theory]
    [InlineData("actorstream.persistence.provider = mysql", "actorstream.persistence.provider", "must be one of sqlite, postgresql, got 'mysql'")]
    [InlineData("actorstream.persistence.auto-initialize = maybe", "actorstream.persistence.auto-initialize", "must be on or off")]
    [InlineData("actorstream.persistence.sqlite.busy-timeout = soon", "actorstream.persistence.sqlite.busy-timeout", "must be a duration")]
    [InlineData("actorstream.persistence.sqlite.pth = x", "actorstream.persistence.sqlite.pth", "unknown key; known keys: path, busy-timeout")]
    [InlineData("actorstream.persistence.providr = sqlite", "actorstream.persistence.providr", "unknown key")]
    [InlineData("actorstream.persistence.provider = postgresql", "actorstream.persistence.postgresql.connection-string", "ACTORSTREAM_POSTGRES_CONNECTION")]
    [InlineData("actorstream.persistence { provider = postgresql, postgresql.connection-string = \"Host=x;Nonsense=1\" }", "actorstream.persistence.postgresql.connection-string", "not a valid Npgsql connection string")]
    public void Invalid_values_name_the_key_and_what_is_allowed(string hocon, string key, string message)
    {
        var ex = Assert.Throws<PersistenceConfigurationException>(() => EntityStoreSettings.FromConfig(ConfigurationFactory.ParseString(hocon)));
        Assert.Equal(key, ex.Key);
        Assert.Contains(message, ex.Message);
        Assert.StartsWith(key + ":", ex.Message);
    }

    [Fact]
    public void Plugin_config_points_both_plugins_at_the_store_with_the_sql_plugin_defaults_behind()
    {
        var config = ActorStreamPersistence.PluginConfig(new EntityStoreSettings { SqlitePath = "/tmp/x.db" });
        Assert.Equal("Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql", config.GetString("actorstream.persistence.journal.class"));
        Assert.Equal("SQLite.MS", config.GetString("actorstream.persistence.snapshot-store.provider-name"));
        Assert.Equal("sqlite", config.GetString("actorstream.persistence.journal.table-mapping"));
        Assert.Equal(100, config.GetInt("actorstream.persistence.journal.batch-size"));
    }

    [Theory]
    [InlineData("passivate-after = off", 0)]
    [InlineData("passivate-after = 90s", 90)]
    public void Passivate_after_is_a_duration_or_off(string line, int seconds)
    {
        var settings = PipelineSettings.Create("p", ConfigurationFactory.ParseString($"topic = a\nentity = E\n{line}"));
        Assert.Equal(TimeSpan.FromSeconds(seconds), settings.PassivateAfter);
        Assert.Equal(1000, settings.SnapshotEvery);
    }

    [Theory]
    [InlineData("passivate-after = never", "actorstream.pipelines.p.passivate-after", "must be a duration > 0 (e.g. 2m, 30s) or off, got 'never'")]
    [InlineData("snapshot-every = -1", "actorstream.pipelines.p.snapshot-every", "must be an integer >= 0, got -1")]
    public void Invalid_pipeline_persistence_keys_name_the_key(string line, string path, string message)
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => PipelineSettings.Create("p", ConfigurationFactory.ParseString($"topic = a\nentity = E\n{line}")));
        Assert.Contains(path, ex.Message);
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void Pipeline_defaults_set_snapshot_every_for_all_pipelines_and_a_pipeline_can_override_it()
    {
        var all = PipelineSettings.FromConfig(ConfigurationFactory.ParseString("""
            actorstream.pipeline-defaults.snapshot-every = 50
            actorstream.pipelines {
              a { topic = a, entity = E }
              b { topic = b, entity = E, snapshot-every = 0, passivate-after = 10m }
            }
            """));
        Assert.Equal(50, all[0].SnapshotEvery);
        Assert.Equal(0, all[1].SnapshotEvery);
        Assert.Equal(TimeSpan.FromMinutes(10), all[1].PassivateAfter);
        Assert.Equal(all[1], new PipelineSettingsBuilder("b").Topic("b").Entity("E").SnapshotEvery(0).PassivateAfter(TimeSpan.FromMinutes(10)).Build());
    }
}

public sealed class PipelineShardingSettingsTests : Akka.TestKit.Xunit2.TestKit
{
    public PipelineShardingSettingsTests()
        : base("akka.actor.provider = cluster\nakka.remote.dot-netty.tcp.port = 0\nakka.remote.dot-netty.tcp.hostname = \"127.0.0.1\"")
    {
    }

    [Fact]
    public void Pipeline_regions_leave_passivation_to_the_entity_hosts_and_never_remember_entities()
    {
        var settings = ActorStream.Pipelines.Pipeline.ShardingSettings(Sys);
        Assert.Equal(TimeSpan.Zero, settings.PassivateIdleEntityAfter);
        Assert.False(settings.RememberEntities);
    }
}
