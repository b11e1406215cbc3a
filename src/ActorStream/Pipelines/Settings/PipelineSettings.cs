using Akka.Actor;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using ActorStream.Kafka.Settings;
using ActorStream.Pipelines.Settings.Internal;
using Layer = ActorStream.Pipelines.Settings.Internal.PipelineConfigReader.Layer;

namespace ActorStream.Pipelines.Settings;

/// <summary>
/// One pipeline: Kafka topic(s) → consumer group → entity type → dead-letter topic, plus its limits,
/// retry and supervision (<c>actorstream.pipelines.&lt;name&gt; { ... }</c>, falling back key by key
/// to <c>actorstream.pipeline-defaults</c>). Immutable and always valid: every way to create or
/// change it validates, and problems are reported as <see cref="PipelineConfigurationException"/>
/// naming the configuration path. Equality is by value, lists compared by content.
/// </summary>
/// <remarks>Create it from configuration with <see cref="FromConfig(Config)"/> or <see cref="Create"/>,
/// or in code with <see cref="PipelineSettingsBuilder"/>; both give equal settings for the same values.</remarks>
public sealed record PipelineSettings
{
    /// <summary>The error message of a keyless record dead-lettered under <see cref="Settings.NullKeyPolicy.DeadLetter"/>.</summary>
    public const string NoKeyErrorMessage = "record has no key";

    /// <summary>Suffix of the default dead-letter topic: <c>&lt;first input topic&gt;.dlq</c>.</summary>
    public const string DefaultDlqSuffix = ".dlq";

    private const string PartitionEntityIdPrefix = "__partition-";

    internal PipelineSettings(
        string name,
        IEnumerable<string> topics,
        string groupId,
        string entity,
        string dlqTopic,
        int maxInFlightPerPartition,
        TimeSpan ackTimeout,
        NullKeyPolicy nullKeyPolicy,
        RetrySettings retry,
        SupervisionSettings supervision,
        IEnumerable<string> emitTopics,
        TimeSpan passivateAfter,
        int snapshotEvery,
        ValueFormat valueFormat = ValueFormat.Json,
        bool critical = false,
        PipelineOffsetOutOfRange offsetOutOfRange = PipelineOffsetOutOfRange.Default,
        EmitFormat emitFormat = EmitFormat.Json)
    {
        Name = name;
        var topicList = (topics ?? []).ToArray();
        var emitList = (emitTopics ?? []).ToArray();

        Check(PipelineChecks.Name(name), "");
        Check(PipelineChecks.Topics(topicList), topicList.Length == 1 ? ConfigPaths.Topic : ConfigPaths.Topics);
        Check(PipelineChecks.GroupId(groupId), ConfigPaths.GroupId);
        Check(PipelineChecks.Entity(entity), ConfigPaths.Entity);
        Check(PipelineChecks.DlqTopic(dlqTopic, topicList, derived: false), ConfigPaths.DlqTopic);
        Check(PipelineChecks.MaxInFlightPerPartition(maxInFlightPerPartition), ConfigPaths.MaxInFlightPerPartition);
        Check(PipelineChecks.AckTimeout(ackTimeout), ConfigPaths.AckTimeout);
        Check(PipelineChecks.NullKeyPolicy(nullKeyPolicy), ConfigPaths.NullKeyPolicy);
        Check(retry is null ? "is required" : null, ConfigPaths.Retry);
        Check(supervision is null ? "is required" : null, ConfigPaths.Supervision);
        Check(PipelineChecks.Topics(emitList, PipelineChecks.ExpectedEmitTopics, allowEmpty: true), ConfigPaths.EmitTopics);
        Check(PipelineChecks.PassivateAfter(passivateAfter), ConfigPaths.PassivateAfter);
        Check(PipelineChecks.SnapshotEvery(snapshotEvery), ConfigPaths.SnapshotEvery);
        Check(PipelineChecks.ValueFormat(valueFormat), ConfigPaths.ValueFormat);
        Check(PipelineChecks.OffsetOutOfRange(offsetOutOfRange), ConfigPaths.OffsetOutOfRange);
        Check(PipelineChecks.EmitFormat(emitFormat), ConfigPaths.EmitFormat);

        Topics = Array.AsReadOnly(topicList);
        GroupId = groupId;
        Entity = entity;
        DlqTopic = dlqTopic;
        MaxInFlightPerPartition = maxInFlightPerPartition;
        AckTimeout = ackTimeout;
        NullKeyPolicy = nullKeyPolicy;
        Retry = retry!;
        Supervision = supervision!;
        PassivateAfter = passivateAfter;
        SnapshotEvery = snapshotEvery;
        ValueFormat = valueFormat;
        Critical = critical;
        OffsetOutOfRange = offsetOutOfRange;
        EmitFormat = emitFormat;
        EmitTopics = Array.AsReadOnly(emitList);
    }

    /// <summary>The pipeline's name: its key under <c>actorstream.pipelines</c>.</summary>
    public string Name { get; }

    /// <summary>The input topics (config <c>topic</c> or <c>topics</c>); never empty.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The Kafka consumer group (config <c>group-id</c>; default: the pipeline name).</summary>
    public string GroupId { get; }

    /// <summary>The registered name of the entity type that handles the records (config <c>entity</c>).</summary>
    public string Entity { get; }

    /// <summary>The dead-letter topic (config <c>dlq-topic</c>; default: <c>&lt;first topic&gt;.dlq</c>). Never an input topic.</summary>
    public string DlqTopic { get; }

    /// <summary>Records of one partition handed to entities and not yet acknowledged before the partition back-pressures.</summary>
    public int MaxInFlightPerPartition { get; }

    /// <summary>A record not acknowledged within this time is sent to its entity again.</summary>
    public TimeSpan AckTimeout { get; }

    /// <summary>What happens to records without a key (null or empty).</summary>
    public NullKeyPolicy NullKeyPolicy { get; }

    /// <summary>How failed records are retried.</summary>
    public RetrySettings Retry { get; }

    /// <summary>What happens to records whose handling failed, by exception type.</summary>
    public SupervisionSettings Supervision { get; }

    /// <summary>Output topics the pipeline's entities may emit to (informational; may be empty).</summary>
    public IReadOnlyList<string> EmitTopics { get; }

    /// <summary>
    /// An entity that received no record for this long is stopped (passivated) to free its memory;
    /// its next record starts it again (event-sourced entities recover their state).
    /// <see cref="TimeSpan.Zero"/> means never (config: <c>passivate-after = off</c>).
    /// </summary>
    public TimeSpan PassivateAfter { get; }

    /// <summary>Event-sourced entities save a snapshot every this many events; 0 means never.</summary>
    public int SnapshotEvery { get; }

    /// <summary>How record values are read and checked before they reach the entity (config <c>value-format</c>).</summary>
    public ValueFormat ValueFormat { get; }

    /// <summary>
    /// How the values the pipeline's entities emit are written (config <c>emit-format</c>): plain JSON, or
    /// validated against the latest schema of <c>&lt;topic&gt;-value</c> and written in Confluent's wire format.
    /// </summary>
    public EmitFormat EmitFormat { get; }

    /// <summary>
    /// A critical pipeline must not lose records silently (config <c>critical</c>, default off): its
    /// <see cref="OffsetOutOfRange"/> = <c>default</c> means <see cref="PipelineOffsetOutOfRange.Fail"/>.
    /// </summary>
    public bool Critical { get; }

    /// <summary>
    /// What the pipeline's consumer does with an offset outside its partition's log (config
    /// <c>offset-out-of-range</c>); see <see cref="EffectiveOffsetOutOfRange"/>.
    /// </summary>
    public PipelineOffsetOutOfRange OffsetOutOfRange { get; }

    /// <summary>
    /// The policy the pipeline's consumer applies: <see cref="OffsetOutOfRange"/> when it names one;
    /// for <c>default</c>, <see cref="OffsetOutOfRangePolicy.Fail"/> if the pipeline is
    /// <see cref="Critical"/>, else <paramref name="consumerWide"/> (the consumer settings'
    /// <c>actorstream.kafka.consumer.offset-out-of-range</c>, which may be
    /// <see cref="OffsetOutOfRangePolicy.Reset"/>).
    /// </summary>
    /// <param name="consumerWide">The policy of the consumer settings the pipeline starts with.</param>
    public OffsetOutOfRangePolicy EffectiveOffsetOutOfRange(OffsetOutOfRangePolicy consumerWide) => OffsetOutOfRange switch
    {
        PipelineOffsetOutOfRange.Earliest => OffsetOutOfRangePolicy.Earliest,
        PipelineOffsetOutOfRange.Latest => OffsetOutOfRangePolicy.Latest,
        PipelineOffsetOutOfRange.Fail => OffsetOutOfRangePolicy.Fail,
        _ => Critical ? OffsetOutOfRangePolicy.Fail : consumerWide,
    };

    /// <summary>
    /// The entity id that handles keyless records of <paramref name="partition"/> under
    /// <see cref="Settings.NullKeyPolicy.PerPartition"/>: <c>__partition-&lt;n&gt;</c>.
    /// </summary>
    /// <param name="partition">The Kafka partition number.</param>
    public static string PartitionEntityId(int partition) => PartitionEntityIdPrefix + partition.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads every pipeline under <c>actorstream.pipelines</c> of <paramref name="root"/> (a full
    /// application config; the embedded reference is added as fallback), each falling back to
    /// <c>actorstream.pipeline-defaults</c>. The list follows the order of the config. The defaults
    /// are validated even when no pipeline is configured (their errors then name no pipeline). Two
    /// pipelines with the same consumer group are refused.
    /// </summary>
    /// <param name="root">The application's configuration.</param>
    /// <exception cref="PipelineConfigurationException">A pipeline is invalid; the message names the key.</exception>
    public static IReadOnlyList<PipelineSettings> FromConfig(Config root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var full = root.IsEmpty ? PipelineDefaults.ReferenceConfig : root.WithFallback(PipelineDefaults.ReferenceConfig);

        var pipelines = full.GetValue(ConfigPaths.Pipelines);
        if (pipelines is null || !pipelines.IsObject())
        {
            throw new PipelineConfigurationException("", "", ConfigPaths.Pipelines,
                "must be an object of pipeline blocks, e.g. actorstream.pipelines.accounts { topic = \"accounts\", entity = \"Account\" }");
        }

        var defaultsValue = full.GetValue(ConfigPaths.Defaults);
        if (defaultsValue is null || !defaultsValue.IsObject())
        {
            throw new PipelineConfigurationException("", "", ConfigPaths.Defaults, "must be an object with the default pipeline keys");
        }

        var defaults = new Config(new HoconRoot(defaultsValue));

        // Check the defaults once on their own, so that a typo there is reported (without naming a
        // pipeline) even when no pipeline is configured in this file.
        var defaultsReader = new PipelineConfigReader("", [new Layer(defaults, IsDefaults: true), ReferenceDefaultsLayer()]);
        defaultsReader.CheckStructure();
        ReadDefaults(defaultsReader);

        var result = new List<PipelineSettings>();
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, block) in pipelines.GetObject().Items)
        {
            if (block is null || !block.IsObject())
            {
                throw new PipelineConfigurationException(name, "",
                    "must be a pipeline block, e.g. { topic = \"accounts\", entity = \"Account\" }");
            }

            var settings = Create(name, new Config(new HoconRoot(block)), defaults);
            if (!groups.TryAdd(settings.GroupId, name))
            {
                throw new PipelineConfigurationException(name, ConfigPaths.GroupId,
                    $"consumer group '{settings.GroupId}' is also used by pipeline '{groups[settings.GroupId]}'; every pipeline needs its own group");
            }

            result.Add(settings);
        }

        return result.AsReadOnly();
    }

    /// <summary>Reads every pipeline of <paramref name="system"/>'s configuration (see <see cref="FromConfig(Config)"/>).</summary>
    /// <param name="system">The actor system whose configuration is read.</param>
    /// <exception cref="PipelineConfigurationException">A pipeline is invalid; the message names the key.</exception>
    public static IReadOnlyList<PipelineSettings> FromConfig(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return FromConfig(system.Settings.Config);
    }

    /// <summary>
    /// Reads one pipeline from its block. Keys the block does not set come from
    /// <paramref name="defaults"/> (an <c>actorstream.pipeline-defaults</c> section, e.g. from
    /// <see cref="PipelineDefaults.Section(Config)"/>), then from the embedded reference defaults.
    /// </summary>
    /// <param name="name">The pipeline's name (its key under <c>actorstream.pipelines</c>).</param>
    /// <param name="pipelineSection">The pipeline block: the content of <c>actorstream.pipelines.&lt;name&gt;</c>.</param>
    /// <param name="defaults">The application's pipeline defaults; null for the reference defaults only. All of its values are validated, also those the pipeline overrides.</param>
    /// <exception cref="PipelineConfigurationException">A value is missing or invalid, or a key is unknown; the message names the key.</exception>
    public static PipelineSettings Create(string name, Config pipelineSection, Config? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(pipelineSection);
        Check(name, PipelineChecks.Name(name), "");

        var layers = new List<Layer> { new(pipelineSection, IsDefaults: false) };
        if (defaults is not null)
        {
            // Every value of the defaults must be valid, also those this pipeline overrides.
            var defaultsReader = new PipelineConfigReader(name, [new Layer(defaults, IsDefaults: true), ReferenceDefaultsLayer()]);
            defaultsReader.CheckStructure();
            ReadDefaults(defaultsReader);
            layers.Add(new Layer(defaults, IsDefaults: true));
        }

        layers.Add(ReferenceDefaultsLayer());
        var r = new PipelineConfigReader(name, layers);
        r.CheckStructure();

        var topics = ReadTopics(r);
        var entity = r.OptionalString(ConfigPaths.Entity, out var entityFound, "the registered entity name, e.g. entity = \"Account\"");
        if (PipelineChecks.Entity(entity) is { } entityProblem)
        {
            throw r.Error(ConfigPaths.Entity, entityProblem, entity is null ? null : entityFound.Layer);
        }

        var common = ReadDefaults(r);
        var dlqTopic = common.DlqTopic.Length == 0 ? topics[0] + DefaultDlqSuffix : common.DlqTopic;
        if (PipelineChecks.DlqTopic(dlqTopic, topics, derived: common.DlqTopic.Length == 0) is { } dlqProblem)
        {
            throw r.Error(ConfigPaths.DlqTopic, dlqProblem, common.DlqTopic.Length == 0 ? null : common.DlqTopicLayer);
        }

        return new PipelineSettings(
            name,
            topics,
            common.GroupId.Length == 0 ? name : common.GroupId,
            entity!,
            dlqTopic,
            common.MaxInFlightPerPartition,
            common.AckTimeout,
            common.NullKeyPolicy,
            common.Retry,
            common.Supervision,
            common.EmitTopics,
            common.PassivateAfter,
            common.SnapshotEvery,
            common.ValueFormat,
            common.Critical,
            common.OffsetOutOfRange,
            common.EmitFormat);
    }

    /// <summary>Returns a copy with another <see cref="Name"/>. <see cref="GroupId"/> and <see cref="DlqTopic"/> keep their values.</summary>
    /// <param name="name">Letters, digits, '.', '_' and '-'.</param>
    public PipelineSettings WithName(string name)
    {
        Check(name, PipelineChecks.Name(name), "");
        return Copy(name: name);
    }

    /// <summary>Returns a copy that reads the single topic <paramref name="topic"/>.</summary>
    /// <param name="topic">A valid Kafka topic name, not the dead-letter topic.</param>
    public PipelineSettings WithTopic(string topic)
    {
        Check(TopicNames.Problem(topic), ConfigPaths.Topic);
        return Copy(topics: [topic]);
    }

    /// <summary>Returns a copy that reads <paramref name="topics"/>.</summary>
    /// <param name="topics">At least one valid Kafka topic name, each once; not the dead-letter topic.</param>
    public PipelineSettings WithTopics(params IEnumerable<string> topics)
    {
        var list = (topics ?? []).ToArray();
        Check(PipelineChecks.Topics(list), ConfigPaths.Topics);
        return Copy(topics: list);
    }

    /// <summary>Returns a copy with another <see cref="GroupId"/>.</summary>
    /// <param name="groupId">A non-blank consumer group id.</param>
    public PipelineSettings WithGroupId(string groupId)
    {
        Check(PipelineChecks.GroupId(groupId), ConfigPaths.GroupId);
        return Copy(groupId: groupId);
    }

    /// <summary>Returns a copy with another <see cref="Entity"/>.</summary>
    /// <param name="entity">The registered entity type name.</param>
    public PipelineSettings WithEntity(string entity)
    {
        Check(PipelineChecks.Entity(entity), ConfigPaths.Entity);
        return Copy(entity: entity);
    }

    /// <summary>Returns a copy with another <see cref="DlqTopic"/>.</summary>
    /// <param name="dlqTopic">A valid Kafka topic name that is not an input topic.</param>
    public PipelineSettings WithDlqTopic(string dlqTopic)
    {
        Check(PipelineChecks.DlqTopic(dlqTopic, Topics, derived: false), ConfigPaths.DlqTopic);
        return Copy(dlqTopic: dlqTopic);
    }

    /// <summary>Returns a copy with another <see cref="MaxInFlightPerPartition"/> (must be &gt;= 1).</summary>
    /// <param name="maxInFlightPerPartition">Unacknowledged records per partition, &gt;= 1.</param>
    public PipelineSettings WithMaxInFlightPerPartition(int maxInFlightPerPartition)
    {
        Check(PipelineChecks.MaxInFlightPerPartition(maxInFlightPerPartition), ConfigPaths.MaxInFlightPerPartition);
        return Copy(maxInFlightPerPartition: maxInFlightPerPartition);
    }

    /// <summary>Returns a copy with another <see cref="AckTimeout"/> (must be &gt; 0).</summary>
    /// <param name="ackTimeout">The acknowledgement timeout, &gt; 0.</param>
    public PipelineSettings WithAckTimeout(TimeSpan ackTimeout)
    {
        Check(PipelineChecks.AckTimeout(ackTimeout), ConfigPaths.AckTimeout);
        return Copy(ackTimeout: ackTimeout);
    }

    /// <summary>Returns a copy with another <see cref="NullKeyPolicy"/>.</summary>
    /// <param name="nullKeyPolicy">A defined policy.</param>
    public PipelineSettings WithNullKeyPolicy(NullKeyPolicy nullKeyPolicy)
    {
        Check(PipelineChecks.NullKeyPolicy(nullKeyPolicy), ConfigPaths.NullKeyPolicy);
        return Copy(nullKeyPolicy: nullKeyPolicy);
    }

    /// <summary>Returns a copy with other <see cref="Retry"/> settings (validated by <see cref="RetrySettings"/> itself).</summary>
    /// <param name="retry">The retry settings.</param>
    public PipelineSettings WithRetry(RetrySettings retry)
    {
        Check(retry is null ? "is required" : null, ConfigPaths.Retry);
        return Copy(retry: retry);
    }

    /// <summary>Returns a copy with other <see cref="Supervision"/> settings.</summary>
    /// <param name="supervision">The supervision settings.</param>
    public PipelineSettings WithSupervision(SupervisionSettings supervision)
    {
        Check(supervision is null ? "is required" : null, ConfigPaths.Supervision);
        return Copy(supervision: supervision);
    }

    /// <summary>Returns a copy with other <see cref="EmitTopics"/> (may be empty).</summary>
    /// <param name="emitTopics">Valid Kafka topic names, each once.</param>
    public PipelineSettings WithEmitTopics(params IEnumerable<string> emitTopics)
    {
        var list = (emitTopics ?? []).ToArray();
        Check(PipelineChecks.Topics(list, PipelineChecks.ExpectedEmitTopics, allowEmpty: true), ConfigPaths.EmitTopics);
        return Copy(emitTopics: list);
    }

    /// <summary>Returns a copy with another <see cref="PassivateAfter"/> (<see cref="TimeSpan.Zero"/> = never).</summary>
    /// <param name="passivateAfter">Idle time before an entity is stopped, &gt;= 0.</param>
    public PipelineSettings WithPassivateAfter(TimeSpan passivateAfter)
    {
        Check(PipelineChecks.PassivateAfter(passivateAfter), ConfigPaths.PassivateAfter);
        return Copy(passivateAfter: passivateAfter);
    }

    /// <summary>Returns a copy with another <see cref="SnapshotEvery"/> (0 = never).</summary>
    /// <param name="snapshotEvery">Events between snapshots, &gt;= 0.</param>
    public PipelineSettings WithSnapshotEvery(int snapshotEvery)
    {
        Check(PipelineChecks.SnapshotEvery(snapshotEvery), ConfigPaths.SnapshotEvery);
        return Copy(snapshotEvery: snapshotEvery);
    }

    /// <summary>Returns a copy with another <see cref="EmitFormat"/>.</summary>
    /// <param name="emitFormat">A defined <see cref="Settings.EmitFormat"/>.</param>
    public PipelineSettings WithEmitFormat(EmitFormat emitFormat)
    {
        Check(PipelineChecks.EmitFormat(emitFormat), ConfigPaths.EmitFormat);
        return Copy(emitFormat: emitFormat);
    }

    /// <summary>Returns a copy with another <see cref="ValueFormat"/>.</summary>
    /// <param name="valueFormat">A defined <see cref="Settings.ValueFormat"/>.</param>
    public PipelineSettings WithValueFormat(ValueFormat valueFormat)
    {
        Check(PipelineChecks.ValueFormat(valueFormat), ConfigPaths.ValueFormat);
        return Copy(valueFormat: valueFormat);
    }

    /// <summary>Returns a copy with another <see cref="Critical"/>.</summary>
    /// <param name="critical">Whether the pipeline must not lose records silently.</param>
    public PipelineSettings WithCritical(bool critical) => Copy(critical: critical);

    /// <summary>Returns a copy with another <see cref="OffsetOutOfRange"/>.</summary>
    /// <param name="offsetOutOfRange">A defined <see cref="PipelineOffsetOutOfRange"/>.</param>
    public PipelineSettings WithOffsetOutOfRange(PipelineOffsetOutOfRange offsetOutOfRange)
    {
        Check(PipelineChecks.OffsetOutOfRange(offsetOutOfRange), ConfigPaths.OffsetOutOfRange);
        return Copy(offsetOutOfRange: offsetOutOfRange);
    }

    /// <summary>Value equality; <see cref="Topics"/> and <see cref="EmitTopics"/> are compared by content and order.</summary>
    /// <param name="other">The settings to compare with.</param>
    public bool Equals(PipelineSettings? other) =>
        ReferenceEquals(this, other)
        || (other is not null
            && Name == other.Name
            && Topics.SequenceEqual(other.Topics, StringComparer.Ordinal)
            && GroupId == other.GroupId
            && Entity == other.Entity
            && DlqTopic == other.DlqTopic
            && MaxInFlightPerPartition == other.MaxInFlightPerPartition
            && AckTimeout == other.AckTimeout
            && NullKeyPolicy == other.NullKeyPolicy
            && Retry.Equals(other.Retry)
            && Supervision.Equals(other.Supervision)
            && EmitTopics.SequenceEqual(other.EmitTopics, StringComparer.Ordinal)
            && PassivateAfter == other.PassivateAfter
            && SnapshotEvery == other.SnapshotEvery
            && ValueFormat == other.ValueFormat
            && Critical == other.Critical
            && OffsetOutOfRange == other.OffsetOutOfRange
            && EmitFormat == other.EmitFormat);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name, StringComparer.Ordinal);
        foreach (var topic in Topics)
        {
            hash.Add(topic, StringComparer.Ordinal);
        }

        hash.Add(GroupId, StringComparer.Ordinal);
        hash.Add(Entity, StringComparer.Ordinal);
        hash.Add(DlqTopic, StringComparer.Ordinal);
        hash.Add(MaxInFlightPerPartition);
        hash.Add(AckTimeout);
        hash.Add(NullKeyPolicy);
        hash.Add(Retry);
        hash.Add(Supervision);
        foreach (var topic in EmitTopics)
        {
            hash.Add(topic, StringComparer.Ordinal);
        }

        hash.Add(PassivateAfter);
        hash.Add(SnapshotEvery);
        hash.Add(ValueFormat);
        hash.Add(Critical);
        hash.Add(OffsetOutOfRange);
        hash.Add(EmitFormat);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"PipelineSettings({Name}: topics=[{string.Join(", ", Topics)}], group-id={GroupId}, entity={Entity}, dlq-topic={DlqTopic}, " +
        $"max-in-flight-per-partition={MaxInFlightPerPartition}, ack-timeout={ConfigPaths.Format(AckTimeout)}, " +
        $"null-key-policy={EnumNames.Name(NullKeyPolicy)}, {Retry}, {Supervision}, emit-topics=[{string.Join(", ", EmitTopics)}], " +
        $"passivate-after={(PassivateAfter == TimeSpan.Zero ? "off" : ConfigPaths.Format(PassivateAfter))}, snapshot-every={SnapshotEvery}, value-format={EnumNames.Name(ValueFormat)}, " +
        $"critical={(Critical ? "on" : "off")}, offset-out-of-range={EnumNames.Name(OffsetOutOfRange)}, emit-format={EnumNames.Name(EmitFormat)})";

    /// <summary>The values a pipeline can take from <c>actorstream.pipeline-defaults</c>, as read (empty strings = derived).</summary>
    internal sealed record DefaultValues(
        string GroupId,
        string DlqTopic,
        Layer? DlqTopicLayer,
        int MaxInFlightPerPartition,
        TimeSpan AckTimeout,
        NullKeyPolicy NullKeyPolicy,
        RetrySettings Retry,
        SupervisionSettings Supervision,
        IReadOnlyList<string> EmitTopics,
        TimeSpan PassivateAfter,
        int SnapshotEvery,
        ValueFormat ValueFormat,
        bool Critical,
        PipelineOffsetOutOfRange OffsetOutOfRange,
        EmitFormat EmitFormat);

    /// <summary>The reference <c>actorstream.pipeline-defaults</c> block, freshly parsed.</summary>
    internal static Layer ReferenceDefaultsLayer() =>
        new(PipelineDefaults.ReferenceConfig.GetConfig(ConfigPaths.Defaults), IsDefaults: true);

    /// <summary>Reads and validates every key that may come from the defaults.</summary>
    internal static DefaultValues ReadDefaults(PipelineConfigReader r)
    {
        var groupId = r.OptionalString(ConfigPaths.GroupId, out var groupFound, "a consumer group id, or \"\" for the pipeline name") ?? "";
        if (groupId.Length > 0 && PipelineChecks.GroupId(groupId) is { } groupProblem)
        {
            throw r.Error(ConfigPaths.GroupId, groupProblem, groupFound.Layer);
        }

        var dlqTopic = r.OptionalString(ConfigPaths.DlqTopic, out var dlqFound, "a topic name, or \"\" for <first topic>.dlq") ?? "";
        if (dlqTopic.Length > 0 && TopicNames.Problem(dlqTopic) is { } dlqProblem)
        {
            throw r.Error(ConfigPaths.DlqTopic, dlqProblem, dlqFound.Layer);
        }

        var maxInFlight = r.Int(ConfigPaths.MaxInFlightPerPartition, min: 1);
        var ackTimeout = r.PositiveDuration(ConfigPaths.AckTimeout, out _);
        var nullKeyPolicy = r.Enum(ConfigPaths.NullKeyPolicy, EnumNames.NullKeyPolicies);

        var maxAttempts = r.Int(ConfigPaths.Sub(ConfigPaths.Retry, ConfigPaths.MaxAttempts), min: 1);
        var minBackoff = r.PositiveDuration(ConfigPaths.Sub(ConfigPaths.Retry, ConfigPaths.MinBackoff), out _);
        var maxBackoffKey = ConfigPaths.Sub(ConfigPaths.Retry, ConfigPaths.MaxBackoff);
        var maxBackoff = r.PositiveDuration(maxBackoffKey, out var maxBackoffFound);
        var randomFactor = r.Number(ConfigPaths.Sub(ConfigPaths.Retry, ConfigPaths.RandomFactor), 0, 1);
        if (RetrySettings.Check(maxAttempts, minBackoff, maxBackoff, randomFactor) is var (retryKey, retryProblem))
        {
            throw r.Error(ConfigPaths.Sub(ConfigPaths.Retry, retryKey), retryProblem, retryKey == ConfigPaths.MaxBackoff ? maxBackoffFound.Layer : null);
        }

        var defaultDecision = r.Enum(ConfigPaths.Sub(ConfigPaths.Supervision, ConfigPaths.Default), EnumNames.Decisions);
        var supervision = new SupervisionSettings(defaultDecision, r.Rules());

        var emitTopics = r.StringList(ConfigPaths.EmitTopics, PipelineChecks.ExpectedEmitTopics, out var emitFound) ?? [];
        if (PipelineChecks.Topics(emitTopics, PipelineChecks.ExpectedEmitTopics, allowEmpty: true) is { } emitProblem)
        {
            throw r.Error(ConfigPaths.EmitTopics, emitProblem, emitFound.Layer);
        }

        var passivateAfter = r.DurationOrOff(ConfigPaths.PassivateAfter);
        var snapshotEvery = r.Int(ConfigPaths.SnapshotEvery, min: 0);
        var valueFormat = r.Enum(ConfigPaths.ValueFormat, EnumNames.ValueFormats);
        var critical = r.Switch(ConfigPaths.Critical);
        var offsetOutOfRange = r.Enum(ConfigPaths.OffsetOutOfRange, EnumNames.OffsetOutOfRangePolicies);
        var emitFormat = r.Enum(ConfigPaths.EmitFormat, EnumNames.EmitFormats);

        return new DefaultValues(
            groupId,
            dlqTopic,
            dlqTopic.Length > 0 ? dlqFound.Layer : null,
            maxInFlight,
            ackTimeout,
            nullKeyPolicy,
            new RetrySettings(maxAttempts, minBackoff, maxBackoff, randomFactor),
            supervision,
            emitTopics,
            passivateAfter,
            snapshotEvery,
            valueFormat,
            critical,
            offsetOutOfRange,
            emitFormat);
    }

    private static IReadOnlyList<string> ReadTopics(PipelineConfigReader r)
    {
        var topic = r.OptionalString(ConfigPaths.Topic, out var topicFound, "a topic name (for several topics use topics = [\"a\", \"b\"])");
        var topics = r.StringList(ConfigPaths.Topics, PipelineChecks.ExpectedTopics, out var topicsFound);
        if (topic is not null && topics is not null)
        {
            throw r.Error(ConfigPaths.Topics, "cannot be set together with topic; use exactly one of topic = \"a\" or topics = [\"a\", \"b\"]", topicsFound.Layer);
        }

        if (topic is not null)
        {
            if (TopicNames.Problem(topic) is { } problem)
            {
                throw r.Error(ConfigPaths.Topic, problem, topicFound.Layer);
            }

            return [topic];
        }

        if (topics is not null)
        {
            if (PipelineChecks.Topics(topics) is { } problem)
            {
                throw r.Error(ConfigPaths.Topics, problem, topicsFound.Layer);
            }

            return topics;
        }

        throw r.Error(ConfigPaths.Topic, "is required: set topic = \"name\" or topics = [\"a\", \"b\"]");
    }

    private PipelineSettings Copy(
        string? name = null,
        IEnumerable<string>? topics = null,
        string? groupId = null,
        string? entity = null,
        string? dlqTopic = null,
        int? maxInFlightPerPartition = null,
        TimeSpan? ackTimeout = null,
        NullKeyPolicy? nullKeyPolicy = null,
        RetrySettings? retry = null,
        SupervisionSettings? supervision = null,
        IEnumerable<string>? emitTopics = null,
        TimeSpan? passivateAfter = null,
        int? snapshotEvery = null,
        ValueFormat? valueFormat = null,
        bool? critical = null,
        PipelineOffsetOutOfRange? offsetOutOfRange = null,
        EmitFormat? emitFormat = null) =>
        new(
            name ?? Name,
            topics ?? Topics,
            groupId ?? GroupId,
            entity ?? Entity,
            dlqTopic ?? DlqTopic,
            maxInFlightPerPartition ?? MaxInFlightPerPartition,
            ackTimeout ?? AckTimeout,
            nullKeyPolicy ?? NullKeyPolicy,
            retry ?? Retry,
            supervision ?? Supervision,
            emitTopics ?? EmitTopics,
            passivateAfter ?? PassivateAfter,
            snapshotEvery ?? SnapshotEvery,
            valueFormat ?? ValueFormat,
            critical ?? Critical,
            offsetOutOfRange ?? OffsetOutOfRange,
            emitFormat ?? EmitFormat);

    private void Check(string? problem, string key) => Check(Name, problem, key);

    private static void Check(string pipeline, string? problem, string key)
    {
        if (problem is not null)
        {
            throw new PipelineConfigurationException(pipeline ?? "", key, problem);
        }
    }
}
