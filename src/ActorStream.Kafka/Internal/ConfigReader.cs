using Akka.Configuration;
using Akka.Configuration.Hocon;
using ActorStream.Kafka.Settings;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Reads typed values from a config section and turns every parse or range problem into a
/// <see cref="KafkaConfigurationException"/> that names the full key, so users never see a raw
/// HOCON or FormatException.
/// </summary>
internal sealed class ConfigReader
{
    private readonly Config _config;
    private readonly string _path;

    public ConfigReader(Config config, string path)
    {
        _config = config;
        _path = path;
    }

    public string Key(string name) => string.IsNullOrEmpty(_path) ? name : $"{_path}.{name}";

    public bool Has(string name) => _config.HasPath(name);

    public string String(string name, string fallback = "")
    {
        if (!_config.HasPath(name))
        {
            return fallback;
        }

        return Wrap(name, () => _config.GetString(name, fallback)) ?? fallback;
    }

    public int PositiveInt(string name, int fallback, int min = 1)
    {
        if (!_config.HasPath(name))
        {
            return fallback;
        }

        var raw = String(name);
        if (!int.TryParse(raw, out var value))
        {
            throw new KafkaConfigurationException(Key(name), $"must be an integer >= {min}, got '{raw}'");
        }

        if (value < min)
        {
            throw new KafkaConfigurationException(Key(name), $"must be an integer >= {min}, got {value}");
        }

        return value;
    }

    public TimeSpan Duration(string name, TimeSpan fallback, bool allowZero = false)
    {
        if (!_config.HasPath(name))
        {
            return fallback;
        }

        var value = Wrap(name, () => _config.GetTimeSpan(name, fallback, allowInfinite: false));
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
        {
            throw new KafkaConfigurationException(Key(name),
                $"must be a duration {(allowZero ? ">= 0" : "> 0")} (e.g. 500ms, 5s), got '{String(name)}'");
        }

        return value;
    }

    public bool Bool(string name, bool fallback)
    {
        if (!_config.HasPath(name))
        {
            return fallback;
        }

        var raw = String(name).Trim().ToLowerInvariant();
        return raw switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new KafkaConfigurationException(Key(name), $"must be one of on, off, true, false, got '{raw}'"),
        };
    }

    public T Enum<T>(string name, T fallback, IReadOnlyDictionary<string, T> allowed)
    {
        if (!_config.HasPath(name))
        {
            return fallback;
        }

        var raw = String(name).Trim();
        if (allowed.TryGetValue(raw.ToLowerInvariant(), out var value))
        {
            return value;
        }

        throw new KafkaConfigurationException(Key(name),
            $"unknown value '{raw}'; allowed values: {string.Join(", ", allowed.Keys)}");
    }

    public ConfigReader Section(string name)
    {
        var section = _config.HasPath(name) ? _config.GetConfig(name) : Config.Empty;
        return new ConfigReader(section ?? Config.Empty, Key(name));
    }

    /// <summary>
    /// Flattens a properties block into librdkafka key/value pairs. Both quoted dotted keys
    /// (<c>"fetch.min.bytes" = 1</c>) and nested objects (<c>fetch.min.bytes = 1</c>, which HOCON
    /// parses as nested objects) produce the same dotted name.
    /// </summary>
    public IReadOnlyDictionary<string, string> Properties(string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!_config.HasPath(name))
        {
            return result;
        }

        var root = _config.GetValue(name);
        if (root is null || root.IsEmpty)
        {
            return result;
        }

        if (!root.IsObject())
        {
            throw new KafkaConfigurationException(Key(name), "must be an object of librdkafka properties, e.g. { \"linger.ms\" = 5 }");
        }

        Flatten(root.GetObject(), prefix: "", result, Key(name));
        return result;
    }

    private static void Flatten(HoconObject obj, string prefix, Dictionary<string, string> into, string keyForErrors)
    {
        foreach (var (k, v) in obj.Items)
        {
            var name = prefix.Length == 0 ? k : $"{prefix}.{k}";
            if (v.IsObject())
            {
                Flatten(v.GetObject(), name, into, keyForErrors);
            }
            else if (v.IsArray())
            {
                into[name] = string.Join(",", v.GetArray().Select(e => e.GetString()));
            }
            else
            {
                into[name] = v.GetString() ?? "";
            }
        }
    }

    private T Wrap<T>(string name, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not KafkaConfigurationException)
        {
            throw new KafkaConfigurationException(Key(name), $"cannot be read: {ex.Message}", ex);
        }
    }
}
