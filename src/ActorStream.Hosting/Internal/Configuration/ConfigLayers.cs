using System.Text.RegularExpressions;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;
using Config = Akka.Configuration.Config;

namespace ActorStream.Hosting.Internal.Configuration;

/// <summary>One source of a node's configuration.</summary>
/// <param name="Origin">How errors name it (e.g. <c>file 'node.conf'</c>); null for the application's Microsoft.Extensions.Configuration, named per key.</param>
/// <param name="Config">Its keys.</param>
/// <param name="App">The Microsoft.Extensions.Configuration it was mapped from, if it was.</param>
internal sealed record ConfigLayer(string? Origin, Config Config, IConfiguration? App = null);

/// <summary>
/// A node's configuration sources, highest precedence first, merged into one <see cref="Config"/>;
/// tells where a key was set, so that an error about it can say so.
/// </summary>
internal sealed partial class ConfigLayers
{
    private readonly IReadOnlyList<ConfigLayer> _layers;

    public ConfigLayers(IReadOnlyList<ConfigLayer> layers)
    {
        _layers = layers;
        Merged = layers.Aggregate(ConfigurationFactory.Empty, (merged, layer) => merged.WithFallback(layer.Config));
    }

    /// <summary>All layers in one configuration.</summary>
    public Config Merged { get; }

    /// <summary>These layers over <paramref name="fallback"/> (not named in errors: defaults, or configuration made elsewhere).</summary>
    public ConfigLayers WithFallback(Config fallback) => new([.. _layers, new ConfigLayer(null, fallback)]);

    /// <summary>
    /// Where <paramref name="path"/> was set: the highest layer that has it, e.g. <c>file 'node.conf'</c>
    /// or <c>ActorStream:Http:Port in environment variable ActorStream__Http__Port</c>; null when only
    /// the defaults have it.
    /// </summary>
    public string? OriginOf(string path)
    {
        foreach (var layer in _layers)
        {
            bool has;
            try
            {
                has = layer.Config.HasPath(path);
            }
            catch (Exception)
            {
                // A path that runs through a value (a.b where a is a string) exists in no layer.
                has = false;
            }

            if (!has)
            {
                continue;
            }

            return layer.App is not null ? AppConfiguration.Describe(layer.App, path) : layer.Origin;
        }

        return null;
    }

    /// <summary>
    /// <paramref name="message"/> with where its key was set appended, unless the message says it
    /// already (it names an override, or an environment variable that is set and so supplied the
    /// value) or only the defaults have the key.
    /// </summary>
    public string Annotate(string message)
    {
        if (message.Contains("--set", StringComparison.Ordinal)
            || EnvironmentVariableName().Matches(message).Any(m => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(m.Value))))
        {
            return message;
        }

        var key = ConfigKey().Match(message);
        if (!key.Success)
        {
            return message;
        }

        // Widest first: "actorstream.http.port" before a prefix of it that a layer may hold as an object.
        var path = key.Value.TrimEnd('.');
        return OriginOf(path) is { } origin && !message.Contains(origin, StringComparison.Ordinal) ? $"{message} (set in {origin})" : message;
    }

    [GeneratedRegex(@"\b(actorstream|akka)\.[A-Za-z0-9\-_.""]+")]
    private static partial Regex ConfigKey();

    [GeneratedRegex(@"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")]
    private static partial Regex EnvironmentVariableName();
}
