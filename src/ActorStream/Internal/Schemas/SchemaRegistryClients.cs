using Akka.Actor;
using ActorStream.Pipelines.Settings;
using ActorStream.Pipelines.Settings.Internal;
using Confluent.SchemaRegistry;

namespace ActorStream.Internal.Schemas;

/// <summary>Creates the schema registry client of a pipeline whose values are schema-checked.</summary>
internal static class SchemaRegistryClients
{
    /// <summary>Config path of the registry clients use (a node with an embedded registry sets it to the embedded one).</summary>
    public const string UrlPath = "actorstream.schema-registry.url";

    /// <summary>Environment variable that wins over <see cref="UrlPath"/>.</summary>
    public const string UrlVariable = "SCHEMA_REGISTRY_URL";

    /// <summary>Environment variable with <c>user:password</c> for basic authentication.</summary>
    public const string BasicAuthVariable = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";

    /// <summary>The registry URL: <c>SCHEMA_REGISTRY_URL</c>, else <c>actorstream.schema-registry.url</c>; null when neither is set.</summary>
    public static string? Url(ActorSystem system)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(UrlVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        var config = system.Settings.Config;
        var fromConfig = config.HasPath(UrlPath) ? config.GetString(UrlPath, "") : "";
        return string.IsNullOrWhiteSpace(fromConfig) ? null : fromConfig.Trim();
    }

    /// <summary>A Confluent client for the pipeline's registry.</summary>
    /// <exception cref="PipelineConfigurationException">No registry is configured.</exception>
    public static ISchemaRegistryClient Create(ActorSystem system, PipelineSettings settings) =>
        Create(Url(system) ?? throw Missing(settings, ConfigPaths.ValueFormat, EnumNames.Name(settings.ValueFormat)));

    /// <summary>Refuses to start a pipeline with <c>emit-format = json-schema</c> when no registry is configured.</summary>
    /// <exception cref="PipelineConfigurationException">No registry is configured.</exception>
    public static void RequireForEmits(ActorSystem system, PipelineSettings settings)
    {
        if (Url(system) is null)
        {
            throw Missing(settings, ConfigPaths.EmitFormat, EnumNames.Name(settings.EmitFormat));
        }
    }

    /// <summary>A Confluent client for <paramref name="url"/>, with basic auth from <c>SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO</c>.</summary>
    public static ISchemaRegistryClient Create(string url)
    {
        var config = new SchemaRegistryConfig { Url = url };
        var userInfo = Environment.GetEnvironmentVariable(BasicAuthVariable);
        if (!string.IsNullOrEmpty(userInfo))
        {
            config.BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo;
            config.BasicAuthUserInfo = userInfo;
        }

        return new CachedSchemaRegistryClient(config);
    }

    private static PipelineConfigurationException Missing(PipelineSettings settings, string key, string value) =>
        new(settings.Name, key,
            $"{value} needs a schema registry: set {UrlPath} or the {UrlVariable} environment variable " +
            "(a node with actorstream.schema-registry.embedded = on sets it to its embedded registry)");
}
