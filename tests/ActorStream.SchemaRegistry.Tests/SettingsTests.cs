using Akka.Configuration;

namespace ActorStream.SchemaRegistry.Tests;

/// <summary>Settings come from reference.conf and overrides; invalid values name the key and the allowed values.</summary>
public sealed class SettingsTests
{
    [Fact]
    public void Defaults_bind_to_localhost_on_a_free_port_with_sqlite_and_backward()
    {
        var settings = SchemaRegistrySettings.Create(ConfigurationFactory.Empty);

        Assert.True(settings.Embedded);
        Assert.Equal("", settings.Url);
        Assert.Equal("127.0.0.1", settings.Host);
        Assert.Equal(0, settings.Port);
        Assert.Equal(1048576, settings.MaxRequestBytes);
        Assert.Equal(CompatibilityLevel.Backward, settings.DefaultCompatibility);
        Assert.Equal(StorageProvider.Sqlite, settings.StorageProvider);
        Assert.Equal("data/actorstream.db", settings.SqlitePath);
    }

    [Fact]
    public void Configuration_overrides_every_key()
    {
        var settings = SchemaRegistrySettings.Create(ConfigurationFactory.ParseString("""
            actorstream.schema-registry {
              embedded = off
              url = "http://registry:8081"
              host = 0.0.0.0
              port = 8081
              max-request-bytes = 2048
              default-compatibility = full_transitive
              storage { provider = postgresql, postgresql.connection-string = "Host=db;Database=x" }
            }
            """));

        Assert.False(settings.Embedded);
        Assert.Equal("http://registry:8081", settings.Url);
        Assert.Equal(("0.0.0.0", 8081, 2048L), (settings.Host, settings.Port, settings.MaxRequestBytes));
        Assert.Equal(CompatibilityLevel.FullTransitive, settings.DefaultCompatibility);
        Assert.Equal(StorageProvider.PostgreSql, settings.StorageProvider);
    }

    [Theory]
    [InlineData("port = 70000", "actorstream.schema-registry.port", "0 (any free port) to 65535")]
    [InlineData("port = eighty", "actorstream.schema-registry.port", "'eighty'")]
    [InlineData("max-request-bytes = 10", "actorstream.schema-registry.max-request-bytes", ">= 1024")]
    [InlineData("default-compatibility = SIDEWAYS", "actorstream.schema-registry.default-compatibility", "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE")]
    [InlineData("storage.provider = mysql", "actorstream.schema-registry.storage.provider", "allowed: sqlite, postgresql")]
    [InlineData("storage.sqlite.path = \"\"", "actorstream.schema-registry.storage.sqlite.path", "database file")]
    [InlineData("embedded = maybe", "actorstream.schema-registry.embedded", "on, off, true, false")]
    [InlineData("url = \"registry:8081\"", "actorstream.schema-registry.url", "http:// or https://")]
    [InlineData("host = \"\"", "actorstream.schema-registry.host", "IP address or host name")]
    public void An_invalid_value_names_the_key_and_what_is_allowed(string hocon, string key, string allowed)
    {
        var error = Assert.Throws<SchemaRegistryConfigurationException>(() =>
            SchemaRegistrySettings.Create(ConfigurationFactory.ParseString($"actorstream.schema-registry {{ {hocon} }}")));

        Assert.Equal(key, error.Key);
        Assert.StartsWith(key + ":", error.Message);
        Assert.Contains(allowed, error.Message);
    }

    [Fact]
    public void Postgresql_without_a_connection_string_names_the_key_and_the_environment_variable()
    {
        // Only meaningful when the variable is not set on this machine (it would supply the connection string).
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SchemaRegistrySettings.PostgresConnectionEnvironmentVariable)),
            "unset ACTORSTREAM_POSTGRES_CONNECTION to run the settings tests");
        var error = Assert.Throws<SchemaRegistryConfigurationException>(() =>
            SchemaRegistrySettings.Create(ConfigurationFactory.ParseString("actorstream.schema-registry.storage.provider = postgresql")));

        Assert.Equal("actorstream.schema-registry.storage.postgresql.connection-string", error.Key);
        Assert.Contains("ACTORSTREAM_POSTGRES_CONNECTION", error.Message);
    }

    [Fact]
    public void With_methods_validate_like_the_configuration()
    {
        var settings = SchemaRegistrySettings.Create();

        Assert.Equal(8081, settings.WithPort(8081).Port);
        Assert.Equal("actorstream.schema-registry.port", Assert.Throws<SchemaRegistryConfigurationException>(() => settings.WithPort(-1)).Key);
        Assert.Equal("actorstream.schema-registry.max-request-bytes", Assert.Throws<SchemaRegistryConfigurationException>(() => settings.WithMaxRequestBytes(0)).Key);
        var postgres = settings.WithPostgreSql("Host=db;Database=registry");
        Assert.Equal(StorageProvider.PostgreSql, postgres.StorageProvider);
        Assert.DoesNotContain("Host=db", postgres.ToString()); // the connection string may hold a password
        Assert.Equal(StorageProvider.Sqlite, settings.StorageProvider); // immutable
    }

    [Theory]
    [InlineData("backward", CompatibilityLevel.Backward)]
    [InlineData("FULL_TRANSITIVE", CompatibilityLevel.FullTransitive)]
    [InlineData(" none ", CompatibilityLevel.None)]
    public void Compatibility_names_parse_as_confluent_spells_them(string text, CompatibilityLevel expected)
    {
        Assert.True(SchemaRegistrySettings.TryParseCompatibility(text, out var level));
        Assert.Equal(expected, level);
        Assert.Equal(text.Trim().ToUpperInvariant(), SchemaRegistrySettings.CompatibilityName(level));
    }

    [Fact]
    public async Task A_storage_that_cannot_be_opened_fails_the_start_with_its_location()
    {
        var blocker = Path.GetTempFileName(); // a file where the database directory should be
        try
        {
            var settings = SchemaRegistrySettings.Create().WithSqlitePath(Path.Combine(blocker, "sub", "registry.db"));
            var error = await Assert.ThrowsAsync<SchemaRegistryStartException>(() => SchemaRegistryServer.StartAsync(settings));
            Assert.Contains("storage", error.Message);
        }
        finally
        {
            File.Delete(blocker);
        }
    }
}
