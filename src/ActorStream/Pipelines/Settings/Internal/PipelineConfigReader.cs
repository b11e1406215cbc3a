using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorStream.Pipelines.Settings.Internal;

/// <summary>
/// Reads one pipeline's settings from layered configuration: the pipeline block first, then
/// <c>actorstream.pipeline-defaults</c> (the application's, then the reference's). Layers are
/// looked up key by key instead of being chained with <c>Config.WithFallback</c>, which can hang in
/// Akka.NET when configs share instances. Every problem becomes a
/// <see cref="PipelineConfigurationException"/> naming the path of the layer the bad value came from.
/// </summary>
internal sealed class PipelineConfigReader
{
    private readonly string _pipeline;
    private readonly IReadOnlyList<Layer> _layers;

    public PipelineConfigReader(string pipeline, IReadOnlyList<Layer> layers)
    {
        _pipeline = pipeline;
        _layers = layers;
    }

    /// <summary>A source of values: a pipeline block, or a <c>pipeline-defaults</c> block.</summary>
    /// <param name="Config">The block's content (may be empty).</param>
    /// <param name="IsDefaults">True for a <c>actorstream.pipeline-defaults</c> block.</param>
    internal sealed record Layer(Config Config, bool IsDefaults);

    /// <summary>A value found in a layer.</summary>
    internal readonly record struct Found(HoconValue Value, Layer Layer, string Key);

    public string Pipeline => _pipeline;

    /// <summary>
    /// An error for <paramref name="key"/>, with the path of the layer the value came from. A reader
    /// with an empty pipeline name checks the defaults alone; its errors name no pipeline.
    /// </summary>
    public PipelineConfigurationException Error(string key, string problem, Layer? layer = null, Exception? inner = null) =>
        layer is { IsDefaults: true }
            ? new PipelineConfigurationException(_pipeline, key, ConfigPaths.InDefaults(key),
                _pipeline.Length == 0 ? problem : $"{problem} (inherited by pipeline '{_pipeline}')", inner)
            : new PipelineConfigurationException(_pipeline, key, ConfigPaths.Pipeline(_pipeline, key), problem, inner);

    /// <summary>Refuses unknown keys, pipeline-only keys in defaults, and non-object sections.</summary>
    public void CheckStructure()
    {
        foreach (var layer in _layers)
        {
            foreach (var (key, value) in Items(layer.Config.Root))
            {
                if (!ConfigPaths.PipelineKeys.Contains(key))
                {
                    throw Error(ConfigPaths.QuoteIfNeeded(key), UnknownKey(key, ConfigPaths.PipelineKeys), layer);
                }

                if (layer.IsDefaults && ConfigPaths.PipelineOnlyKeys.Contains(key))
                {
                    throw Error(key, "cannot be set in actorstream.pipeline-defaults; set it in each pipeline block", layer);
                }

                if (key == ConfigPaths.Retry)
                {
                    CheckSection(layer, key, value, ConfigPaths.RetryKeys);
                }
                else if (key == ConfigPaths.Supervision)
                {
                    CheckSection(layer, key, value, ConfigPaths.SupervisionKeys);
                    var rules = value.GetObject().Items.GetValueOrDefault(ConfigPaths.Rules);
                    if (rules is not null && !rules.IsObject())
                    {
                        throw Error(ConfigPaths.Sub(key, ConfigPaths.Rules),
                            "must be an object of exception full type name -> decision, e.g. rules { \"System.FormatException\" = dead-letter }", layer);
                    }
                }
            }
        }
    }

    /// <summary>The first layer that has <paramref name="key"/>; a HOCON <c>null</c> counts as set.</summary>
    public bool TryFind(string key, out Found found)
    {
        foreach (var layer in _layers)
        {
            if (!layer.Config.IsEmpty && layer.Config.HasPath(key))
            {
                var value = layer.Config.GetValue(key);
                if (value is not null)
                {
                    found = new Found(value, layer, key);
                    return true;
                }
            }
        }

        found = default;
        return false;
    }

    /// <summary>A string value; null when absent everywhere or set to <c>null</c>.</summary>
    public string? OptionalString(string key, out Found found, string expected = "a string")
    {
        if (!TryFind(key, out found))
        {
            return null;
        }

        return ScalarString(found, expected);
    }

    /// <summary>An integer &gt;= <paramref name="min"/>.</summary>
    public int Int(string key, int min)
    {
        var found = Require(key);
        var raw = ScalarString(found, $"an integer >= {min}");
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(key, $"must be an integer >= {min}, got '{raw}'", found.Layer);
        }

        if (value < min)
        {
            throw Error(key, $"must be an integer >= {min}, got {value}", found.Layer);
        }

        return value;
    }

    /// <summary>A duration &gt; 0, plus where it was found.</summary>
    public TimeSpan PositiveDuration(string key, out Found found)
    {
        found = Require(key);
        var raw = ScalarString(found, "a duration > 0 (e.g. 500ms, 30s)");
        TimeSpan value;
        try
        {
            value = found.Value.GetTimeSpan(allowInfinite: false);
        }
        catch (Exception ex)
        {
            throw Error(key, $"must be a duration > 0 (e.g. 500ms, 30s), got '{raw}'", found.Layer, ex);
        }

        if (value <= TimeSpan.Zero)
        {
            throw Error(key, $"must be a duration > 0 (e.g. 500ms, 30s), got '{raw}'", found.Layer);
        }

        return value;
    }

    /// <summary>A duration &gt; 0, or <c>off</c> (returned as <see cref="TimeSpan.Zero"/>).</summary>
    public TimeSpan DurationOrOff(string key)
    {
        var found = Require(key);
        const string expected = "a duration > 0 (e.g. 2m, 30s) or off";
        var raw = ScalarString(found, expected);
        if (raw is not null && (raw.Equals("off", StringComparison.OrdinalIgnoreCase) || raw.Equals("false", StringComparison.OrdinalIgnoreCase)))
        {
            return TimeSpan.Zero;
        }

        TimeSpan value;
        try
        {
            value = found.Value.GetTimeSpan(allowInfinite: false);
        }
        catch (Exception ex)
        {
            throw Error(key, $"must be {expected}, got '{raw}'", found.Layer, ex);
        }

        if (value <= TimeSpan.Zero)
        {
            throw Error(key, $"must be {expected}, got '{raw}'", found.Layer);
        }

        return value;
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double Number(string key, double min, double max)
    {
        var found = Require(key);
        var expected = $"a number between {ConfigPaths.Format(min)} and {ConfigPaths.Format(max)}";
        var raw = ScalarString(found, expected);
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw Error(key, $"must be {expected}, got '{raw}'", found.Layer);
        }

        if (value < min || value > max)
        {
            throw Error(key, $"must be {expected}, got {ConfigPaths.Format(value)}", found.Layer);
        }

        return value;
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive).</summary>
    public T Enum<T>(string key, IReadOnlyList<KeyValuePair<string, T>> allowed)
    {
        var found = Require(key);
        return ParseEnum(found, allowed);
    }

    /// <summary>A switch: on/off (also true/false, yes/no), case-insensitive.</summary>
    public bool Switch(string key)
    {
        var found = Require(key);
        var raw = ScalarString(found, "on or off");
        if (raw is null || !EnumNames.TryParse(EnumNames.Switches, raw, out var value))
        {
            throw Error(key, $"unknown value '{raw ?? "null"}'; allowed values: on, off", found.Layer);
        }

        return value;
    }

    /// <summary>A list of strings; null when absent everywhere or set to <c>null</c>.</summary>
    public IReadOnlyList<string>? StringList(string key, string expected, out Found found)
    {
        if (!TryFind(key, out found))
        {
            return null;
        }

        if (IsNull(found.Value))
        {
            return null;
        }

        if (!IsList(found.Value))
        {
            throw Error(key, $"must be {expected}", found.Layer);
        }

        var result = new List<string>();
        foreach (var element in found.Value.GetArray())
        {
            if (element is null || element.IsObject() || IsList(element) || !element.IsString() || element.GetString() is null)
            {
                throw Error(key, $"must be {expected}; element {result.Count + 1} is not a string", found.Layer);
            }

            result.Add(element.GetString());
        }

        return result;
    }

    /// <summary>
    /// The supervision rules of all layers, the first layer winning per exception type; in the
    /// order of the first layer, then the new ones of the next, and so on.
    /// </summary>
    public IReadOnlyList<SupervisionRule> Rules()
    {
        var key = ConfigPaths.Sub(ConfigPaths.Supervision, ConfigPaths.Rules);
        var result = new List<SupervisionRule>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in _layers)
        {
            if (layer.Config.IsEmpty || !layer.Config.HasPath(key))
            {
                continue;
            }

            var rules = layer.Config.GetValue(key);
            if (rules is null || IsNull(rules))
            {
                continue;
            }

            foreach (var (exceptionType, value) in FlattenRules(rules, prefix: "", layer))
            {
                var ruleKey = ConfigPaths.Rule(exceptionType);
                var decision = ParseEnum(new Found(value, layer, ruleKey), EnumNames.Decisions);
                if (SupervisionRule.ExceptionTypeProblem(exceptionType) is { } problem)
                {
                    throw Error(ruleKey, problem, layer);
                }

                if (seen.Add(exceptionType))
                {
                    result.Add(new SupervisionRule(exceptionType, decision));
                }
            }
        }

        return result;
    }

    private IEnumerable<KeyValuePair<string, HoconValue>> FlattenRules(HoconValue rules, string prefix, Layer layer)
    {
        foreach (var (name, value) in rules.GetObject().Items)
        {
            var full = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (value.IsObject())
            {
                foreach (var nested in FlattenRules(value, full, layer))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return new(full, value);
            }
        }
    }

    private T ParseEnum<T>(Found found, IReadOnlyList<KeyValuePair<string, T>> allowed)
    {
        var expected = $"one of {string.Join(", ", allowed.Select(p => p.Key))}";
        var raw = ScalarString(found, expected);
        if (raw is null || !EnumNames.TryParse(allowed, raw, out var value))
        {
            throw Error(found.Key, EnumNames.Unknown(allowed, raw ?? "null"), found.Layer);
        }

        return value;
    }

    private Found Require(string key)
    {
        if (!TryFind(key, out var found))
        {
            throw Error(key, "is required");
        }

        return found;
    }

    /// <summary>The value as a string (null for HOCON <c>null</c>); objects and lists are refused.</summary>
    private string? ScalarString(Found found, string expected)
    {
        var value = found.Value;
        if (value.IsObject() || IsList(value))
        {
            throw Error(found.Key, $"must be {expected}, got {(IsList(value) ? "a list" : "an object")}", found.Layer);
        }

        try
        {
            return value.GetString();
        }
        catch (Exception ex)
        {
            throw Error(found.Key, $"must be {expected}; it cannot be read: {ex.Message}", found.Layer, ex);
        }
    }

    private void CheckSection(Layer layer, string key, HoconValue value, IReadOnlyList<string> known)
    {
        if (!value.IsObject())
        {
            throw Error(key, $"must be an object with the keys {string.Join(", ", known)}", layer);
        }

        foreach (var (name, _) in value.GetObject().Items)
        {
            if (!known.Contains(name))
            {
                throw Error(ConfigPaths.Sub(key, ConfigPaths.QuoteIfNeeded(name)), UnknownKey(name, known), layer);
            }
        }
    }

    private static string UnknownKey(string key, IReadOnlyList<string> known)
    {
        var suggestion = KeySuggestion.For(key, known);
        var hint = suggestion is null ? "" : $" (did you mean '{suggestion}'?)";
        return $"unknown key{hint}; known keys: {string.Join(", ", known)}";
    }

    private static bool IsNull(HoconValue value) =>
        !value.IsObject() && !IsList(value) && value.IsString() && value.GetString() is null;

    /// <summary>A list, including the empty list (for which Akka's <c>IsArray()</c> answers false).</summary>
    private static bool IsList(HoconValue value) =>
        value.IsArray() || (value.Values.Count > 0 && value.Values.All(v => v is HoconArray));

    private static IEnumerable<KeyValuePair<string, HoconValue>> Items(HoconValue? root) =>
        root is not null && root.IsObject() ? root.GetObject().Items : [];
}
