using System.Globalization;
using ActorStream.SchemaRegistry.Internal;
using Akka.Configuration;

namespace ActorStream.SchemaRegistry;

/// <summary>
/// Settings of the schema registry server and of the address clients use, read from
/// <c>actorstream.schema-registry</c> (defaults in the module's embedded <c>reference.conf</c>). Immutable: derive
/// variants with the <c>WithX</c> methods, which validate like <see cref="Create(Config)"/>.
/// </summary>
public sealed record SchemaRegistrySettings
{
    /// <summary>The configuration section the settings are read from.</summary>
    public const string ConfigPath = "actorstream.schema-registry";

    /// <summary>Environment variable whose value, when set, replaces <c>storage.postgresql.connection-string</c>.</summary>
    public const string PostgresConnectionEnvironmentVariable = "ACTORSTREAM_POSTGRES_CONNECTION";

    /// <summary>Smallest accepted <see cref="MaxRequestBytes"/>.</summary>
    public const long MinRequestBytes = 1024;

    private SchemaRegistrySettings()
    {
    }

    /// <summary>Whether a node starts the registry in-process.</summary>
    public bool Embedded { get; private init; }

    /// <summary>Registry URL for clients; empty means the embedded registry.</summary>
    public string Url { get; private init; } = "";

    /// <summary>Address the server binds to.</summary>
    public string Host { get; private init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one.</summary>
    public int Port { get; private init; }

    /// <summary>Largest accepted request body, in bytes.</summary>
    public long MaxRequestBytes { get; private init; }

    /// <summary>Compatibility level of subjects without their own (until changed through <c>PUT /config</c>).</summary>
    public CompatibilityLevel DefaultCompatibility { get; private init; }

    /// <summary>Storage back end.</summary>
    public StorageProvider StorageProvider { get; private init; }

    /// <summary>SQLite database file (relative to the working directory unless absolute).</summary>
    public string SqlitePath { get; private init; } = "";

    /// <summary>Npgsql connection string (the environment variable already applied).</summary>
    public string PostgresConnectionString { get; private init; } = "";

    /// <summary>The defaults of <c>reference.conf</c> (and the environment).</summary>
    public static SchemaRegistrySettings Create() => Create(ConfigurationFactory.Empty);

    /// <summary>
    /// Reads the settings from a configuration that holds <c>actorstream.schema-registry</c> (missing keys fall back
    /// to <c>reference.conf</c>). <see cref="PostgresConnectionEnvironmentVariable"/> wins over the connection string.
    /// </summary>
    /// <exception cref="SchemaRegistryConfigurationException">A value is invalid; the message names the key and the allowed values.</exception>
    public static SchemaRegistrySettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var merged = config.WithFallback(Reference());
        string Str(string key) => merged.GetString($"{ConfigPath}.{key}", "") ?? "";

        var settings = new SchemaRegistrySettings()
            .WithEmbedded(ParseBool(Str("embedded"), "embedded"))
            .WithUrl(Str("url"))
            .WithHost(Str("host"))
            .WithPort(ParseInt(Str("port"), "port", 0, 65535, "a TCP port from 0 (any free port) to 65535"))
            .WithMaxRequestBytes(ParseLong(Str("max-request-bytes"), "max-request-bytes"))
            .WithDefaultCompatibility(ParseCompatibility(Str("default-compatibility"), "default-compatibility"))
            .WithSqlitePath(Str("storage.sqlite.path"));
        var connection = Environment.GetEnvironmentVariable(PostgresConnectionEnvironmentVariable);
        settings = settings with
        {
            PostgresConnectionString = string.IsNullOrWhiteSpace(connection) ? Str("storage.postgresql.connection-string").Trim() : connection.Trim(),
        };
        return settings.WithStorageProvider(ParseProvider(Str("storage.provider")));
    }

    /// <summary>Returns a copy with <see cref="Embedded"/> changed.</summary>
    public SchemaRegistrySettings WithEmbedded(bool embedded) => this with { Embedded = embedded };

    /// <summary>Returns a copy with another client URL (empty, or an absolute http/https URL).</summary>
    public SchemaRegistrySettings WithUrl(string url)
    {
        var value = (url ?? "").Trim();
        if (value.Length > 0 && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            throw Invalid("url", $"'{value}' is not an http:// or https:// URL (or empty for the embedded registry)");
        }

        return this with { Url = value };
    }

    /// <summary>Returns a copy binding to another address (an IP address or a host name; not empty).</summary>
    public SchemaRegistrySettings WithHost(string host)
    {
        var value = (host ?? "").Trim();
        return value.Length == 0 || value.Any(char.IsWhiteSpace)
            ? throw Invalid("host", $"'{host}' is not an address; expected an IP address or host name such as 127.0.0.1, localhost, 0.0.0.0")
            : this with { Host = value };
    }

    /// <summary>Returns a copy with another port (0 to 65535; 0 = a free port).</summary>
    public SchemaRegistrySettings WithPort(int port) =>
        port is >= 0 and <= 65535
            ? this with { Port = port }
            : throw Invalid("port", $"must be a TCP port from 0 (any free port) to 65535, got {port}");

    /// <summary>Returns a copy with another request size limit (at least <see cref="MinRequestBytes"/>).</summary>
    public SchemaRegistrySettings WithMaxRequestBytes(long bytes) =>
        bytes >= MinRequestBytes
            ? this with { MaxRequestBytes = bytes }
            : throw Invalid("max-request-bytes", $"must be a whole number of bytes >= {MinRequestBytes}, got {bytes}");

    /// <summary>Returns a copy with another default compatibility level.</summary>
    public SchemaRegistrySettings WithDefaultCompatibility(CompatibilityLevel level) =>
        Enum.IsDefined(level)
            ? this with { DefaultCompatibility = level }
            : throw Invalid("default-compatibility", $"'{level}' is not a level; allowed: {CompatibilityLevels.AllowedList}");

    /// <summary>Returns a copy with another storage provider; PostgreSQL needs a connection string first.</summary>
    public SchemaRegistrySettings WithStorageProvider(StorageProvider provider)
    {
        if (!Enum.IsDefined(provider))
        {
            throw Invalid("storage.provider", $"'{provider}' is not a provider; allowed: sqlite, postgresql");
        }

        if (provider == StorageProvider.PostgreSql && PostgresConnectionString.Length == 0)
        {
            throw Invalid("storage.postgresql.connection-string",
                $"is required when storage.provider = postgresql; set it in the configuration or the {PostgresConnectionEnvironmentVariable} environment variable");
        }

        return this with { StorageProvider = provider };
    }

    /// <summary>Returns a copy storing in another SQLite file (not empty).</summary>
    public SchemaRegistrySettings WithSqlitePath(string path)
    {
        var value = (path ?? "").Trim();
        return value.Length == 0
            ? throw Invalid("storage.sqlite.path", "must name a database file, e.g. \"data/actorstream.db\"")
            : this with { SqlitePath = value };
    }

    /// <summary>Returns a copy storing in PostgreSQL with this connection string.</summary>
    public SchemaRegistrySettings WithPostgreSql(string connectionString)
    {
        var value = (connectionString ?? "").Trim();
        if (value.Length == 0)
        {
            throw Invalid("storage.postgresql.connection-string", "must not be empty");
        }

        return this with { PostgresConnectionString = value, StorageProvider = StorageProvider.PostgreSql };
    }

    /// <summary>Parses a compatibility level name as Confluent spells it (case-insensitive), e.g. <c>BACKWARD_TRANSITIVE</c>.</summary>
    public static bool TryParseCompatibility(string? text, out CompatibilityLevel level) => CompatibilityLevels.TryParse(text, out level);

    /// <summary>The Confluent name of a level, e.g. <c>FULL_TRANSITIVE</c>.</summary>
    public static string CompatibilityName(CompatibilityLevel level) => CompatibilityLevels.Name(level);

    /// <inheritdoc />
    public override string ToString() =>
        $"SchemaRegistrySettings {{ Embedded = {Embedded}, Url = {Url}, Host = {Host}, Port = {Port}, MaxRequestBytes = {MaxRequestBytes}, "
        + $"DefaultCompatibility = {CompatibilityLevels.Name(DefaultCompatibility)}, StorageProvider = {StorageProvider}, SqlitePath = {SqlitePath}, "
        + $"PostgresConnectionString = {(PostgresConnectionString.Length > 0 ? "(set)" : "(empty)")} }}";

    private static Config Reference()
    {
        using var stream = typeof(SchemaRegistrySettings).Assembly.GetManifestResourceStream("ActorStream.SchemaRegistry.reference.conf")
            ?? throw new InvalidOperationException("reference.conf is not embedded in ActorStream.SchemaRegistry");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    private static SchemaRegistryConfigurationException Invalid(string key, string problem) => new($"{ConfigPath}.{key}", problem);

    private static bool ParseBool(string text, string key) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw Invalid(key, $"'{text}' is not a boolean; allowed: on, off, true, false, yes, no"),
    };

    private static int ParseInt(string text, string key, int min, int max, string what) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid(key, $"'{text}' is invalid; expected {what}");

    private static long ParseLong(string text, string key) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(key, $"'{text}' is invalid; expected a whole number of bytes >= {MinRequestBytes}");

    private static CompatibilityLevel ParseCompatibility(string text, string key) =>
        CompatibilityLevels.TryParse(text, out var level)
            ? level
            : throw Invalid(key, $"'{text}' is not a compatibility level; allowed: {CompatibilityLevels.AllowedList}");

    private static StorageProvider ParseProvider(string text) => text.Trim().ToLowerInvariant() switch
    {
        "sqlite" => StorageProvider.Sqlite,
        "postgresql" or "postgres" => StorageProvider.PostgreSql,
        _ => throw Invalid("storage.provider", $"'{text}' is not a storage provider; allowed: sqlite, postgresql"),
    };
}
