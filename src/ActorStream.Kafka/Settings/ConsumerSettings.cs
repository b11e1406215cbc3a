using System.Collections.Immutable;
using Akka.Actor;
using Config = Akka.Configuration.Config;
using ActorStream.Kafka.Internal;
using ActorStream.Kafka.Messages;
using Confluent.Kafka;

namespace ActorStream.Kafka.Settings;

/// <summary>
/// Everything a Kafka source needs: addresses, group, librdkafka properties, buffering and
/// timeouts, deserializers and the partition event handler. Immutable; derive variants with the
/// <c>WithX</c> methods. Read from <c>actorstream.kafka</c> + <c>actorstream.kafka.consumer</c>.
/// </summary>
/// <typeparam name="TKey">Record key type.</typeparam>
/// <typeparam name="TValue">Record value type.</typeparam>
public sealed record ConsumerSettings<TKey, TValue>
{
    private const string ConsumerPath = KafkaDefaults.ConfigPath + ".consumer";

    private ConsumerSettings()
    {
    }

    /// <summary>Comma-separated host:port list of brokers.</summary>
    public string BootstrapServers { get; private init; } = "";

    /// <summary>Consumer group id; required for committable sources.</summary>
    public string GroupId { get; private init; } = "";

    /// <summary>librdkafka properties passed through to the consumer (without bootstrap and group).</summary>
    public ImmutableDictionary<string, string> Properties { get; private init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>How long one poll may block the consumer thread.</summary>
    public TimeSpan PollTimeout { get; private init; }

    /// <summary>Records buffered per partition before its fetching is paused.</summary>
    public int MaxBufferedPerPartition { get; private init; }

    /// <summary>How long the consumer stays alive for commits after the source stopped.</summary>
    public TimeSpan StopTimeout { get; private init; }

    /// <summary>Upper bound for closing the consumer.</summary>
    public TimeSpan CloseTimeout { get; private init; }

    /// <summary>Upper bound for the revoke hand-over (user handler + commit flush).</summary>
    public TimeSpan RevokeTimeout { get; private init; }

    /// <summary>Whether partition events are published on the actor system's event stream.</summary>
    public bool PublishPartitionEvents { get; private init; }

    /// <summary>How long a subscribed topic may stay unknown (or without leader) before the source fails with an error naming it; zero = never fail.</summary>
    public TimeSpan UnknownTopicTimeout { get; private init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// What to do with a partition whose committed offset (at assignment) or fetch position (while
    /// consuming) lies outside its log (see <see cref="Settings.OffsetOutOfRangePolicy"/>). With
    /// anything but <see cref="OffsetOutOfRangePolicy.Reset"/> the consumer runs with librdkafka's
    /// <c>auto.offset.reset = error</c>; the configured <c>auto.offset.reset</c> still decides where
    /// partitions without a committed offset start.
    /// </summary>
    public OffsetOutOfRangePolicy OffsetOutOfRange { get; private init; } = OffsetOutOfRangePolicy.Reset;

    /// <summary>Retry policy for commits that fail with retriable errors.</summary>
    public CommitRetrySettings CommitRetry { get; private init; } = new();

    /// <summary>User code called on assignment, revocation and loss of partitions; may be null.</summary>
    public IPartitionEventHandler? PartitionEventHandler { get; private init; }

    internal Decoder<TKey>? KeyDecoder { get; private init; }

    internal Decoder<TValue>? ValueDecoder { get; private init; }

    /// <summary>
    /// Reads the settings from the actor system's configuration. Key and value deserializers
    /// default to Confluent's built-ins for byte[], string, int, long, float, double, Null and Ignore.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">A value is invalid; the message names the key.</exception>
    public static ConsumerSettings<TKey, TValue> Create(ActorSystem system, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null) =>
        Create(KafkaDefaults.Section(system), keyDeserializer, valueDeserializer);

    /// <summary>Reads the settings from an <c>actorstream.kafka</c> configuration section.</summary>
    /// <exception cref="KafkaConfigurationException">A value is invalid; the message names the key.</exception>
    public static ConsumerSettings<TKey, TValue> Create(Config kafkaSection, IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        var section = KafkaDefaults.WithReferenceFallback(kafkaSection);
        var root = new ConfigReader(section, KafkaDefaults.ConfigPath);
        var c = root.Section("consumer");
        var props = c.Properties("properties");
        LibrdkafkaProperties.Validate(props, c.Key("properties"));

        var settings = new ConsumerSettings<TKey, TValue>
        {
            BootstrapServers = root.String("bootstrap-servers").Trim(),
            GroupId = c.String("group-id").Trim(),
            PollTimeout = c.Duration("poll-timeout", TimeSpan.FromMilliseconds(50)),
            MaxBufferedPerPartition = c.PositiveInt("max-buffered-per-partition", 1000),
            StopTimeout = c.Duration("stop-timeout", TimeSpan.FromSeconds(10), allowZero: true),
            CloseTimeout = c.Duration("close-timeout", TimeSpan.FromSeconds(20)),
            RevokeTimeout = c.Duration("revoke-timeout", TimeSpan.FromSeconds(10)),
            PublishPartitionEvents = c.Bool("publish-partition-events", true),
            UnknownTopicTimeout = c.Duration("unknown-topic-timeout", TimeSpan.FromSeconds(60), allowZero: true),
            OffsetOutOfRange = c.Enum("offset-out-of-range", OffsetOutOfRangePolicy.Reset, new Dictionary<string, OffsetOutOfRangePolicy>
            {
                ["reset"] = OffsetOutOfRangePolicy.Reset,
                ["earliest"] = OffsetOutOfRangePolicy.Earliest,
                ["latest"] = OffsetOutOfRangePolicy.Latest,
                ["fail"] = OffsetOutOfRangePolicy.Fail,
            }),
            CommitRetry = CommitRetrySettings.Read(c.Section("commit-retry")),
            KeyDecoder = keyDeserializer is null ? Decoder<TKey>.Default() : Decoder<TKey>.Sync(keyDeserializer),
            ValueDecoder = valueDeserializer is null ? Decoder<TValue>.Default() : Decoder<TValue>.Sync(valueDeserializer),
        };
        return settings.WithProperties(props);
    }

    /// <summary>Returns a copy with other bootstrap servers.</summary>
    public ConsumerSettings<TKey, TValue> WithBootstrapServers(string bootstrapServers) => this with { BootstrapServers = bootstrapServers.Trim() };

    /// <summary>Returns a copy with another consumer group id.</summary>
    public ConsumerSettings<TKey, TValue> WithGroupId(string groupId) => this with { GroupId = groupId.Trim() };

    /// <summary>
    /// Returns a copy with one librdkafka property set. <c>bootstrap.servers</c> and <c>group.id</c>
    /// are routed to <see cref="BootstrapServers"/> and <see cref="GroupId"/>.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">The property would break offset management or has an invalid value.</exception>
    public ConsumerSettings<TKey, TValue> WithProperty(string name, string value) => WithProperties(new Dictionary<string, string> { [name] = value });

    /// <summary>Returns a copy with several librdkafka properties set (see <see cref="WithProperty"/>).</summary>
    public ConsumerSettings<TKey, TValue> WithProperties(IReadOnlyDictionary<string, string> properties)
    {
        var key = $"{ConsumerPath}.properties";
        LibrdkafkaProperties.Validate(properties, key);
        var result = this;
        var builder = Properties.ToBuilder();
        foreach (var (name, value) in properties)
        {
            switch (name)
            {
                case "bootstrap.servers":
                    result = result with { BootstrapServers = value.Trim() };
                    break;
                case "group.id":
                    result = result with { GroupId = value.Trim() };
                    break;
                case "enable.auto.commit" when bool.TryParse(value, out var on) && on:
                    throw new KafkaConfigurationException($"{key}.\"enable.auto.commit\"",
                        "must stay false: ActorStream commits offsets itself, only after records were processed");
                case "enable.auto.offset.store" when bool.TryParse(value, out var on) && on:
                    throw new KafkaConfigurationException($"{key}.\"enable.auto.offset.store\"",
                        "must stay false: offsets are stored only for processed records");
                default:
                    builder[name] = value;
                    break;
            }
        }

        return result with { Properties = builder.ToImmutable() };
    }

    /// <summary>Returns a copy with another poll timeout (&gt; 0).</summary>
    public ConsumerSettings<TKey, TValue> WithPollTimeout(TimeSpan timeout) =>
        this with { PollTimeout = Positive(timeout, "poll-timeout") };

    /// <summary>Returns a copy with another per-partition buffer size (&gt;= 1).</summary>
    public ConsumerSettings<TKey, TValue> WithMaxBufferedPerPartition(int records) =>
        records >= 1
            ? this with { MaxBufferedPerPartition = records }
            : throw new KafkaConfigurationException($"{ConsumerPath}.max-buffered-per-partition", $"must be an integer >= 1, got {records}");

    /// <summary>Returns a copy with another stop timeout (&gt;= 0).</summary>
    public ConsumerSettings<TKey, TValue> WithStopTimeout(TimeSpan timeout) =>
        timeout >= TimeSpan.Zero
            ? this with { StopTimeout = timeout }
            : throw new KafkaConfigurationException($"{ConsumerPath}.stop-timeout", $"must be a duration >= 0, got {timeout}");

    /// <summary>Returns a copy with another close timeout (&gt; 0).</summary>
    public ConsumerSettings<TKey, TValue> WithCloseTimeout(TimeSpan timeout) =>
        this with { CloseTimeout = Positive(timeout, "close-timeout") };

    /// <summary>Returns a copy with another revoke timeout (&gt; 0).</summary>
    public ConsumerSettings<TKey, TValue> WithRevokeTimeout(TimeSpan timeout) =>
        this with { RevokeTimeout = Positive(timeout, "revoke-timeout") };

    /// <summary>Returns a copy with another commit retry policy.</summary>
    public ConsumerSettings<TKey, TValue> WithCommitRetry(CommitRetrySettings retry) => this with { CommitRetry = retry };

    /// <summary>Returns a copy that calls <paramref name="handler"/> on partition events.</summary>
    public ConsumerSettings<TKey, TValue> WithPartitionEventHandler(IPartitionEventHandler? handler) => this with { PartitionEventHandler = handler };

    /// <summary>Returns a copy that publishes (or not) partition events on the event stream.</summary>
    public ConsumerSettings<TKey, TValue> WithPublishPartitionEvents(bool publish) => this with { PublishPartitionEvents = publish };

    /// <summary>Returns a copy with another time a subscribed topic may stay unavailable (zero = never fail).</summary>
    public ConsumerSettings<TKey, TValue> WithUnknownTopicTimeout(TimeSpan timeout) => this with { UnknownTopicTimeout = timeout };

    /// <summary>Returns a copy with another policy for committed offsets and fetch positions outside the log.</summary>
    public ConsumerSettings<TKey, TValue> WithOffsetOutOfRange(OffsetOutOfRangePolicy policy) => this with { OffsetOutOfRange = policy };

    /// <summary>Returns a copy with a synchronous key deserializer.</summary>
    public ConsumerSettings<TKey, TValue> WithKeyDeserializer(IDeserializer<TKey> deserializer) => this with { KeyDecoder = Decoder<TKey>.Sync(deserializer) };

    /// <summary>Returns a copy with an asynchronous key deserializer (e.g. schema-registry serdes).</summary>
    public ConsumerSettings<TKey, TValue> WithKeyDeserializer(IAsyncDeserializer<TKey> deserializer) => this with { KeyDecoder = Decoder<TKey>.Async(deserializer) };

    /// <summary>Returns a copy with a synchronous value deserializer.</summary>
    public ConsumerSettings<TKey, TValue> WithValueDeserializer(IDeserializer<TValue> deserializer) => this with { ValueDecoder = Decoder<TValue>.Sync(deserializer) };

    /// <summary>Returns a copy with an asynchronous value deserializer (e.g. schema-registry serdes).</summary>
    public ConsumerSettings<TKey, TValue> WithValueDeserializer(IAsyncDeserializer<TValue> deserializer) => this with { ValueDecoder = Decoder<TValue>.Async(deserializer) };

    /// <summary>
    /// Checks that the settings are complete for a source: bootstrap servers set, a group id where
    /// one is needed, deserializers for non-built-in types. Sources call this when they start.
    /// </summary>
    /// <param name="requireGroupId">True for sources that commit or subscribe to topics.</param>
    /// <exception cref="KafkaConfigurationException">Something is missing; the message names the key and how to set it.</exception>
    public void Validate(bool requireGroupId)
    {
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

        if (requireGroupId && string.IsNullOrWhiteSpace(GroupId))
        {
            throw new KafkaConfigurationException($"{ConsumerPath}.group-id", "is not set; committable and subscribed sources need a consumer group id");
        }

        if (KeyDecoder is null)
        {
            throw new KafkaConfigurationException($"{ConsumerPath}", $"no key deserializer for {typeof(TKey).Name}; pass one to Create or WithKeyDeserializer");
        }

        if (ValueDecoder is null)
        {
            throw new KafkaConfigurationException($"{ConsumerPath}", $"no value deserializer for {typeof(TValue).Name}; pass one to Create or WithValueDeserializer");
        }
    }

    /// <summary>
    /// The librdkafka configuration the consumer is built with (the consumer thread adds its
    /// <c>client.id</c>, and <c>auto.offset.reset = error</c> when <see cref="OffsetOutOfRange"/> is
    /// not <see cref="OffsetOutOfRangePolicy.Reset"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> ToClientConfig()
    {
        var cfg = new Dictionary<string, string>(Properties)
        {
            ["bootstrap.servers"] = BootstrapServers,
            ["enable.auto.commit"] = "false",
            ["enable.auto.offset.store"] = "false",
        };
        if (!string.IsNullOrEmpty(GroupId))
        {
            cfg["group.id"] = GroupId;
        }
        else
        {
            // librdkafka requires a group id for any consumer; an assignment-only consumer never
            // joins the group, so a private one keeps it from touching real groups.
            cfg["group.id"] = $"actorstream-unused-{Guid.NewGuid():N}";
        }

        return cfg;
    }

    private static TimeSpan Positive(TimeSpan value, string key) =>
        value > TimeSpan.Zero ? value : throw new KafkaConfigurationException($"{ConsumerPath}.{key}", $"must be a duration > 0, got {value}");
}
