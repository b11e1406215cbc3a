using System.Globalization;
using System.Text;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Config = Akka.Configuration.Config;

namespace ActorStream.Hosting.Internal.Configuration;

/// <summary>
/// Maps the <c>ActorStream</c> and <c>Akka</c> sections of Microsoft.Extensions.Configuration
/// (appsettings.json, environment variables, command line) onto the HOCON keys <c>actorstream.*</c>
/// and <c>akka.*</c>. The one rule (docs/hosting.md): the section separator (<c>:</c>, or <c>__</c>
/// in an environment variable name) becomes <c>.</c>; each segment is written in kebab-case — a
/// <c>-</c> before every capital that follows a lower-case letter or a digit, <c>_</c> becomes
/// <c>-</c>, all lower case — except a segment with a <c>.</c> in it (a topic such as
/// <c>accounts.balances</c>, a librdkafka property such as <c>session.timeout.ms</c>, an exception
/// type), which is one key taken as written. Children named 0, 1, 2… form a list; <c>true</c> and
/// <c>false</c> become <c>on</c> and <c>off</c>; every other value is a string, which HOCON reads as
/// a number, duration or size where the key needs one.
/// </summary>
internal static class AppConfiguration
{
    /// <summary>The sections read, with the HOCON root each maps to.</summary>
    private static readonly (string Section, string Root)[] Sections = [("ActorStream", "actorstream"), ("Akka", "akka")];

    /// <summary>The configuration every <c>actorstream</c> command reads besides its own sources: appsettings.json (and appsettings.{DOTNET_ENVIRONMENT}.json) in the working directory and the environment, as a .NET host does.</summary>
    public static IConfiguration ForCommandLine()
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environment}.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .Build();
    }

    /// <summary>The HOCON form of the <c>ActorStream</c> and <c>Akka</c> sections (empty when neither exists).</summary>
    public static Config ToHocon(IConfiguration configuration)
    {
        var text = new StringBuilder();
        foreach (var (name, root) in Sections)
        {
            var section = configuration.GetSection(name);
            if (section.Exists())
            {
                Write(text, root, section);
            }
        }

        return text.Length == 0 ? ConfigurationFactory.Empty : ConfigurationFactory.ParseString(text.ToString());
    }

    /// <summary>The HOCON path segment of a configuration key segment (the rule above).</summary>
    public static string Segment(string key)
    {
        if (key.Contains('.', StringComparison.Ordinal))
        {
            return Quote(key);
        }

        var result = new StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c == '_')
            {
                result.Append('-');
                continue;
            }

            if (char.IsUpper(c) && i > 0 && (char.IsLower(key[i - 1]) || char.IsDigit(key[i - 1])))
            {
                result.Append('-');
            }

            result.Append(char.ToLowerInvariant(c));
        }

        var segment = result.ToString();
        return segment.All(ch => char.IsLetterOrDigit(ch) || ch == '-') ? segment : Quote(segment);
    }

    /// <summary>
    /// Which configuration key and provider set HOCON <paramref name="path"/>, e.g.
    /// <c>ActorStream:Http:Port in environment variable ActorStream__Http__Port</c>.
    /// </summary>
    public static string Describe(IConfiguration configuration, string path)
    {
        var key = FindKey(configuration, path);
        if (key is null)
        {
            return "the application's configuration (appsettings.json, environment, command line)";
        }

        if (configuration is IConfigurationRoot root)
        {
            foreach (var provider in root.Providers.Reverse())
            {
                if (!provider.TryGet(key, out _))
                {
                    continue;
                }

                return provider switch
                {
                    EnvironmentVariablesConfigurationProvider => $"{key} from environment variable {key.Replace(":", "__", StringComparison.Ordinal)}",
                    JsonConfigurationProvider json => $"{key} from {(json.Source.FileProvider is Microsoft.Extensions.FileProviders.PhysicalFileProvider files ? Path.Combine(files.Root, json.Source.Path ?? "") : json.Source.Path)}",
                    _ when provider.GetType().Name.StartsWith("CommandLine", StringComparison.Ordinal) => $"{key} from the command line",
                    _ => $"{key} from {provider}",
                };
            }
        }

        return key;
    }

    /// <summary>The configuration key (e.g. <c>ActorStream:Http:Port</c>) whose mapped path is <paramref name="path"/> or under it.</summary>
    private static string? FindKey(IConfiguration configuration, string path)
    {
        var target = Normalize(path);
        foreach (var (name, root) in Sections)
        {
            foreach (var (key, _) in configuration.GetSection(name).AsEnumerable())
            {
                var mapped = Normalize(string.Join('.', [root, .. key.Split(':').Skip(1).Select(Segment)]));
                if (mapped == target || mapped.StartsWith(target + ".", StringComparison.Ordinal))
                {
                    return key;
                }
            }
        }

        return null;
    }

    private static string Normalize(string path) => path.Replace("\"", "", StringComparison.Ordinal);

    private static void Write(StringBuilder text, string path, IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            if (section.Value is { } value)
            {
                text.Append(path).Append(" = ").Append(Value(value)).Append('\n');
            }

            return;
        }

        if (children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var items = children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => c.Value is { } v ? Value(v) : "null");
            text.Append(path).Append(" = [").Append(string.Join(", ", items)).Append("]\n");
            return;
        }

        foreach (var child in children)
        {
            Write(text, path + "." + Segment(child.Key), child);
        }
    }

    private static string Value(string value) => value switch
    {
        "True" or "true" => "on",
        "False" or "false" => "off",
        _ => Quote(value),
    };

    private static string Quote(string value) => NodeConfig.Quote(value);
}
