using System.Collections.Immutable;
using Akka.Actor;
using Config = Akka.Configuration.Config;
using ActorStream.Kafka.Internal;
using Confluent.Kafka;

namespace ActorStream.Kafka.Settings;

/// <summary>
/// Everything a producer stage needs: addresses, librdkafka properties (idempotent, acks=all,
/// murmur2_random by default), in-flight bound, close timeout and serializers. Immutable; read
/// from <c>actorstream.kafka</c> + <c>actorstream.kafka.producer</c>.
/// </summary>
/// <typeparam name="TKey">Record key type.</typeparam>
/// <typeparam name="TValue">Record value type.</typeparam>
public sealed record ProducerSettings<TKey, TValue>
{
    private const string ProducerPath = KafkaDefaults.ConfigPath + ".producer";

    private ProducerSettings()
    {
    }

    /// <summary>Comma-separated host:port list of brokers.</summary>
    public string BootstrapServers { get; private init; } = "";

    /// <summary>librdkafka properties passed through to the producer (without bootstrap).</summary>
    public ImmutableDictionary<string, string> Properties { get; private init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Produce requests in flight per stage before it back-pressures.</summary>
    public int Parallelism { get; private init; }

    /// <summary>Upper bound for flushing outstanding records when a stage stops.</summary>
    public TimeSpan CloseTimeout { get; private init; }

    /// <summary>Synchronous key serializer, if one was given.</summary>
    public ISerializer<TKey>? KeySerializer { get; private init; }

    /// <summary>Asynchronous key serializer (e.g. schema-registry serdes), if one was given.</summary>
    public IAsyncSerializer<TKey>? AsyncKeySerializer { get; private init; }

    /// <summary>Synchronous value serializer, if one was given.</summary>
    public ISerializer<TValue>? ValueSerializer { get; private init; }

    /// <summary>Asynchronous value serializer (e.g. schema-registry serdes), if one was given.</summary>
    public IAsyncSerializer<TValue>? AsyncValueSerializer { get; private init; }

    /// <summary>Reads the settings from the actor system's configuration.</summary>
    /// <exception cref="KafkaConfigurationException">A value is invalid; the message names the key.</exception>
    public static ProducerSettings<TKey, TValue> Create(ActorSystem system, ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null) =>
        Create(KafkaDefaults.Section(system), keySerializer, valueSerializer);

    /// <summary>Reads the settings from an <c>actorstream.kafka</c> configuration section.</summary>
    /// <exception cref="KafkaConfigurationException">A value is invalid; the message names the key.</exception>
    public static ProducerSettings<TKey, TValue> Create(Config kafkaSection, ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null)
    {
        var section = KafkaDefaults.WithReferenceFallback(kafkaSection);
        var root = new ConfigReader(section, KafkaDefaults.ConfigPath);
        var p = root.Section("producer");
        var props = p.Properties("properties");
        var settings = new ProducerSettings<TKey, TValue>
        {
            BootstrapServers = root.String("bootstrap-servers").Trim(),
            Parallelism = p.PositiveInt("parallelism", 10000),
            CloseTimeout = p.Duration("close-timeout", TimeSpan.FromSeconds(30)),
            KeySerializer = keySerializer,
            ValueSerializer = valueSerializer,
        };
        return settings.WithProperties(props);
    }

    /// <summary>Returns a copy with other bootstrap servers.</summary>
    public ProducerSettings<TKey, TValue> WithBootstrapServers(string bootstrapServers) => this with { BootstrapServers = bootstrapServers.Trim() };

    /// <summary>Returns a copy with one librdkafka property set (<c>bootstrap.servers</c> is routed to <see cref="BootstrapServers"/>).</summary>
    /// <exception cref="KafkaConfigurationException">The value is invalid for a known enumerated property.</exception>
    public ProducerSettings<TKey, TValue> WithProperty(string name, string value) => WithProperties(new Dictionary<string, string> { [name] = value });

    /// <summary>Returns a copy with several librdkafka properties set.</summary>
    public ProducerSettings<TKey, TValue> WithProperties(IReadOnlyDictionary<string, string> properties)
    {
        LibrdkafkaProperties.Validate(properties, $"{ProducerPath}.properties");
        var result = this;
        var builder = Properties.ToBuilder();
        foreach (var (name, value) in properties)
        {
            if (name == "bootstrap.servers")
            {
                result = result with { BootstrapServers = value.Trim() };
            }
            else
            {
                builder[name] = value;
            }
        }

        return result with { Properties = builder.ToImmutable() };
    }

    /// <summary>Returns a copy with another in-flight bound (&gt;= 1).</summary>
    public ProducerSettings<TKey, TValue> WithParallelism(int parallelism) =>
        parallelism >= 1
            ? this with { Parallelism = parallelism }
            : throw new KafkaConfigurationException($"{ProducerPath}.parallelism", $"must be an integer >= 1, got {parallelism}");

    /// <summary>Returns a copy with another close timeout (&gt; 0).</summary>
    public ProducerSettings<TKey, TValue> WithCloseTimeout(TimeSpan timeout) =>
        timeout > TimeSpan.Zero
            ? this with { CloseTimeout = timeout }
            : throw new KafkaConfigurationException($"{ProducerPath}.close-timeout", $"must be a duration > 0, got {timeout}");

    /// <summary>Returns a copy with a synchronous key serializer.</summary>
    public ProducerSettings<TKey, TValue> WithKeySerializer(ISerializer<TKey> serializer) => this with { KeySerializer = serializer, AsyncKeySerializer = null };

    /// <summary>Returns a copy with an asynchronous key serializer.</summary>
    public ProducerSettings<TKey, TValue> WithKeySerializer(IAsyncSerializer<TKey> serializer) => this with { AsyncKeySerializer = serializer, KeySerializer = null };

    /// <summary>Returns a copy with a synchronous value serializer.</summary>
    public ProducerSettings<TKey, TValue> WithValueSerializer(ISerializer<TValue> serializer) => this with { ValueSerializer = serializer, AsyncValueSerializer = null };

    /// <summary>Returns a copy with an asynchronous value serializer.</summary>
    public ProducerSettings<TKey, TValue> WithValueSerializer(IAsyncSerializer<TValue> serializer) => this with { AsyncValueSerializer = serializer, ValueSerializer = null };

    internal Encoder<TKey>? KeyEncoder =>
        KeySerializer is not null ? Encoder<TKey>.Sync(KeySerializer)
        : AsyncKeySerializer is not null ? Encoder<TKey>.Async(AsyncKeySerializer)
        : Encoder<TKey>.Default();

    internal Encoder<TValue>? ValueEncoder =>
        ValueSerializer is not null ? Encoder<TValue>.Sync(ValueSerializer)
        : AsyncValueSerializer is not null ? Encoder<TValue>.Async(AsyncValueSerializer)
        : Encoder<TValue>.Default();

    /// <summary>Builds the byte-level client the producer stages use (they serialize themselves, in order).</summary>
    /// <param name="onError">Errors the client reports (fatal ones included), if wanted.</param>
    internal IProducer<byte[], byte[]> CreateByteProducer(Action<Error>? onError = null)
    {
        Validate();
        return LibrdkafkaProperties.BuildClient(() =>
        {
            var builder = new ProducerBuilder<byte[], byte[]>(ToClientConfig());
            if (onError is not null)
            {
                builder.SetErrorHandler((_, error) => onError(error));
            }

            return builder.Build();
        }, $"{ProducerPath}.properties");
    }

    /// <summary>A byte-level client that is replaced after a fatal error (see <see cref="RenewableProducer"/>).</summary>
    /// <param name="onRenewed">Told when a fatal error retired a client.</param>
    /// <param name="closeTimeout">How long closing flushes (default <see cref="CloseTimeout"/>).</param>
    internal RenewableProducer CreateRenewableProducer(Action<Error>? onRenewed = null, TimeSpan? closeTimeout = null) =>
        new(CreateByteProducer, closeTimeout ?? CloseTimeout, onRenewed);

    /// <summary>The largest record the client accepts (librdkafka's <c>message.max.bytes</c>, 1,000,000 unless set).</summary>
    /// <exception cref="KafkaConfigurationException">The property is not an integer of at least 1000.</exception>
    internal int MaxMessageBytes =>
        !Properties.TryGetValue("message.max.bytes", out var text) ? 1_000_000
        : int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 1000 ? value
        : throw new KafkaConfigurationException($"{ProducerPath}.properties.\"message.max.bytes\"", $"must be an integer of at least 1000 (bytes), got '{text}'");

    /// <summary>Checks that the settings are complete (bootstrap servers set).</summary>
    /// <exception cref="KafkaConfigurationException">Something is missing; the message names the key.</exception>
    public void Validate()
    {
        if (KeyEncoder is null)
        {
            throw new KafkaConfigurationException(ProducerPath, $"no key serializer for {typeof(TKey).Name}; pass one to Create or WithKeySerializer");
        }

        if (ValueEncoder is null)
        {
            throw new KafkaConfigurationException(ProducerPath, $"no value serializer for {typeof(TValue).Name}; pass one to Create or WithValueSerializer");
        }

        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            throw new KafkaConfigurationException($"{KafkaDefaults.ConfigPath}.bootstrap-servers",
                $"is not set; set it in configuration or in the {KafkaDefaults.BootstrapServersEnvironmentVariable} environment variable (host:port[,host:port...])");
        }

        if (BootstrapServers.Equals("embedded", StringComparison.OrdinalIgnoreCase))
        {
            throw new KafkaConfigurationException($"{KafkaDefaults.ConfigPath}.bootstrap-servers",
                "is 'embedded', which only the ActorStream host resolves (it starts an in-process broker); give the connector real host:port addresses");
        }
    }

    /// <summary>The complete librdkafka configuration the producer is built with.</summary>
    public IReadOnlyDictionary<string, string> ToClientConfig() =>
        new Dictionary<string, string>(Properties) { ["bootstrap.servers"] = BootstrapServers };

    /// <summary>
    /// Builds a typed Confluent producer from these settings, for code outside streams. Producer
    /// stages build their own byte-level client (or use one passed to share).
    /// </summary>
    /// <exception cref="KafkaConfigurationException">Settings incomplete or rejected by librdkafka.</exception>
    public IProducer<TKey, TValue> CreateProducer()
    {
        Validate();
        return LibrdkafkaProperties.BuildClient(() =>
        {
            var builder = new ProducerBuilder<TKey, TValue>(ToClientConfig());
            if (KeySerializer is not null)
            {
                builder.SetKeySerializer(KeySerializer);
            }
            else if (AsyncKeySerializer is not null)
            {
                builder.SetKeySerializer(AsyncKeySerializer);
            }

            if (ValueSerializer is not null)
            {
                builder.SetValueSerializer(ValueSerializer);
            }
            else if (AsyncValueSerializer is not null)
            {
                builder.SetValueSerializer(AsyncValueSerializer);
            }

            return builder.Build();
        }, $"{ProducerPath}.properties");
    }
}
