using Akka.Actor;
using Akka.Configuration;
using ActorStream.Pipelines.Settings.Internal;

namespace ActorStream.Pipelines.Settings;

/// <summary>
/// Access to the ActorStream assembly's embedded <c>reference.conf</c>, which holds the defaults of
/// every <c>actorstream.*</c> key of the platform (Kafka connector keys live in
/// <c>ActorStream.Kafka</c>'s own reference), among them <c>actorstream.pipeline-defaults</c>.
/// </summary>
public static class PipelineDefaults
{
    /// <summary>Path of the pipeline blocks: <c>actorstream.pipelines.&lt;name&gt; { ... }</c>.</summary>
    public const string PipelinesPath = ConfigPaths.Pipelines;

    /// <summary>Path of the block every pipeline block falls back to, key by key.</summary>
    public const string DefaultsPath = ConfigPaths.Defaults;

    /// <summary>Name of the embedded resource that holds the reference configuration.</summary>
    public const string ResourceName = "ActorStream.reference.conf";

    private static readonly Lazy<string> ReferenceText = new(LoadReference);

    /// <summary>
    /// The embedded <c>reference.conf</c>. A new instance per call: Akka's Config must not meet the
    /// same instance twice in a fallback chain (that can hang), so never cache and reuse it.
    /// </summary>
    public static Config ReferenceConfig => ConfigurationFactory.ParseString(ReferenceText.Value);

    /// <summary>
    /// The effective <c>actorstream.pipeline-defaults</c> section of <paramref name="config"/> (a
    /// full application config), with the reference defaults as fallback. Pass it as the
    /// <c>defaults</c> argument of <see cref="PipelineSettings.Create"/> or
    /// <see cref="PipelineSettingsBuilder(string, Config?)"/>.
    /// </summary>
    /// <param name="config">The application's configuration.</param>
    public static Config Section(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.WithFallback(ReferenceConfig).GetConfig(DefaultsPath);
    }

    /// <summary>The effective <c>actorstream.pipeline-defaults</c> section of <paramref name="system"/>.</summary>
    /// <param name="system">The actor system whose configuration is read.</param>
    public static Config Section(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Section(system.Settings.Config);
    }

    private static string LoadReference()
    {
        using var stream = typeof(PipelineDefaults).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in the ActorStream assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
