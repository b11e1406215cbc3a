using Akka.Configuration;
using ActorStream.Pipelines.Settings.Internal;
using Layer = ActorStream.Pipelines.Settings.Internal.PipelineConfigReader.Layer;

namespace ActorStream.Pipelines.Settings;

/// <summary>
/// Builds <see cref="PipelineSettings"/> in code. It starts from the same defaults as a pipeline
/// block in configuration (the reference <c>actorstream.pipeline-defaults</c>, or the
/// application's when given), so the same values give settings equal to those read by
/// <see cref="PipelineSettings.FromConfig(Config)"/>. Values are checked when set where they can
/// be checked alone, and everything again by <see cref="Build"/>; problems are reported as
/// <see cref="PipelineConfigurationException"/> naming the equivalent configuration key.
/// </summary>
/// <example>
/// <code>
/// var settings = new PipelineSettingsBuilder("accounts")
///     .Topic("accounts")
///     .Entity("Account")
///     .Retry(maxAttempts: 5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), randomFactor: 0.2)
///     .OnException&lt;FormatException&gt;(SupervisionDecision.DeadLetter)
///     .EmitTo("accounts.balances")
///     .Build();
/// </code>
/// </example>
public sealed class PipelineSettingsBuilder
{
    private readonly string _name;
    private readonly string _defaultGroupId;
    private readonly string _defaultDlqTopic;
    private readonly List<string> _topics = [];
    private readonly List<string> _emitTopics;
    private string? _groupId;
    private string? _entity;
    private string? _dlqTopic;
    private int _maxInFlightPerPartition;
    private TimeSpan _ackTimeout;
    private NullKeyPolicy _nullKeyPolicy;
    private RetrySettings _retry;
    private SupervisionSettings _supervision;
    private TimeSpan _passivateAfter;
    private int _snapshotEvery;
    private ValueFormat _valueFormat;
    private EmitFormat _emitFormat;
    private bool _critical;
    private PipelineOffsetOutOfRange _offsetOutOfRange;

    /// <summary>Starts a pipeline named <paramref name="name"/> with the default values.</summary>
    /// <param name="name">The pipeline's name: letters, digits, '.', '_' and '-'. It is also the default consumer group.</param>
    /// <param name="defaults">
    /// The application's <c>actorstream.pipeline-defaults</c> section (see
    /// <see cref="PipelineDefaults.Section(Config)"/>); null for the reference defaults only.
    /// </param>
    /// <exception cref="PipelineConfigurationException">The name or a default value is invalid.</exception>
    public PipelineSettingsBuilder(string name, Config? defaults = null)
    {
        if (PipelineChecks.Name(name) is { } problem)
        {
            throw new PipelineConfigurationException(name ?? "", "", problem);
        }

        _name = name;
        var layers = new List<Layer>();
        if (defaults is not null)
        {
            layers.Add(new Layer(defaults, IsDefaults: true));
        }

        layers.Add(PipelineSettings.ReferenceDefaultsLayer());
        var reader = new PipelineConfigReader(name, layers);
        reader.CheckStructure();
        var values = PipelineSettings.ReadDefaults(reader);

        _defaultGroupId = values.GroupId;
        _defaultDlqTopic = values.DlqTopic;
        _maxInFlightPerPartition = values.MaxInFlightPerPartition;
        _ackTimeout = values.AckTimeout;
        _nullKeyPolicy = values.NullKeyPolicy;
        _retry = values.Retry;
        _supervision = values.Supervision;
        _emitTopics = [.. values.EmitTopics];
        _passivateAfter = values.PassivateAfter;
        _snapshotEvery = values.SnapshotEvery;
        _valueFormat = values.ValueFormat;
        _emitFormat = values.EmitFormat;
        _critical = values.Critical;
        _offsetOutOfRange = values.OffsetOutOfRange;
    }

    /// <summary>Reads the single topic <paramref name="topic"/> (replaces any topics set before). Config: <c>topic</c>.</summary>
    /// <param name="topic">A valid Kafka topic name.</param>
    public PipelineSettingsBuilder Topic(string topic)
    {
        Check(TopicNames.Problem(topic), ConfigPaths.Topic);
        _topics.Clear();
        _topics.Add(topic);
        return this;
    }

    /// <summary>Reads <paramref name="topics"/> (replaces any topics set before). Config: <c>topics</c>.</summary>
    /// <param name="topics">At least one valid Kafka topic name, each once.</param>
    public PipelineSettingsBuilder Topics(params IEnumerable<string> topics)
    {
        var list = (topics ?? []).ToList();
        Check(PipelineChecks.Topics(list), ConfigPaths.Topics);
        _topics.Clear();
        _topics.AddRange(list);
        return this;
    }

    /// <summary>Sets the consumer group (default: the pipeline name). Config: <c>group-id</c>.</summary>
    /// <param name="groupId">A non-blank consumer group id.</param>
    public PipelineSettingsBuilder GroupId(string groupId)
    {
        Check(PipelineChecks.GroupId(groupId), ConfigPaths.GroupId);
        _groupId = groupId;
        return this;
    }

    /// <summary>Sets the registered entity type name (required). Config: <c>entity</c>.</summary>
    /// <param name="entity">The registered entity name, e.g. <c>Account</c>.</param>
    public PipelineSettingsBuilder Entity(string entity)
    {
        Check(PipelineChecks.Entity(entity), ConfigPaths.Entity);
        _entity = entity;
        return this;
    }

    /// <summary>Sets the dead-letter topic (default: <c>&lt;first topic&gt;.dlq</c>). Config: <c>dlq-topic</c>.</summary>
    /// <param name="dlqTopic">A valid Kafka topic name that is not an input topic.</param>
    public PipelineSettingsBuilder DlqTopic(string dlqTopic)
    {
        Check(TopicNames.Problem(dlqTopic), ConfigPaths.DlqTopic);
        _dlqTopic = dlqTopic;
        return this;
    }

    /// <summary>Sets the unacknowledged records per partition. Config: <c>max-in-flight-per-partition</c>.</summary>
    /// <param name="maxInFlightPerPartition">&gt;= 1.</param>
    public PipelineSettingsBuilder MaxInFlightPerPartition(int maxInFlightPerPartition)
    {
        Check(PipelineChecks.MaxInFlightPerPartition(maxInFlightPerPartition), ConfigPaths.MaxInFlightPerPartition);
        _maxInFlightPerPartition = maxInFlightPerPartition;
        return this;
    }

    /// <summary>Sets the acknowledgement timeout. Config: <c>ack-timeout</c>.</summary>
    /// <param name="ackTimeout">&gt; 0.</param>
    public PipelineSettingsBuilder AckTimeout(TimeSpan ackTimeout)
    {
        Check(PipelineChecks.AckTimeout(ackTimeout), ConfigPaths.AckTimeout);
        _ackTimeout = ackTimeout;
        return this;
    }

    /// <summary>Sets the retry settings. Config: <c>retry { max-attempts, min-backoff, max-backoff, random-factor }</c>.</summary>
    /// <param name="maxAttempts">Attempts including the first, &gt;= 1.</param>
    /// <param name="minBackoff">Backoff before the first retry, &gt; 0.</param>
    /// <param name="maxBackoff">Backoff cap, &gt;= <paramref name="minBackoff"/>.</param>
    /// <param name="randomFactor">Jitter factor in [0, 1].</param>
    public PipelineSettingsBuilder Retry(int maxAttempts, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
    {
        if (RetrySettings.Check(maxAttempts, minBackoff, maxBackoff, randomFactor) is var (key, problem))
        {
            Check(problem, ConfigPaths.Sub(ConfigPaths.Retry, key));
        }

        _retry = new RetrySettings(maxAttempts, minBackoff, maxBackoff, randomFactor);
        return this;
    }

    /// <summary>Sets the retry settings.</summary>
    /// <param name="retry">The retry settings.</param>
    public PipelineSettingsBuilder Retry(RetrySettings retry)
    {
        Check(retry is null ? "is required" : null, ConfigPaths.Retry);
        _retry = retry!;
        return this;
    }

    /// <summary>
    /// Adds (or replaces) the rule for <typeparamref name="TException"/> and the types derived from it.
    /// Config: <c>supervision.rules { "Full.Type.Name" = decision }</c>.
    /// </summary>
    /// <typeparam name="TException">The exception type.</typeparam>
    /// <param name="decision">What to do with records that failed with such an exception.</param>
    public PipelineSettingsBuilder OnException<TException>(SupervisionDecision decision)
        where TException : Exception =>
        OnException(SupervisionSettings.TypeName(typeof(TException)), decision);

    /// <summary>Adds (or replaces) the rule for the exception type named <paramref name="exceptionType"/>.</summary>
    /// <param name="exceptionType">Full name of the exception type, e.g. <c>MyApp.TransientDbException</c>.</param>
    /// <param name="decision">What to do with records that failed with such an exception.</param>
    public PipelineSettingsBuilder OnException(string exceptionType, SupervisionDecision decision)
    {
        var key = ConfigPaths.Rule(exceptionType ?? "");
        Check(SupervisionRule.ExceptionTypeProblem(exceptionType), key);
        Check(EnumNames.IsDefined(decision) ? null : EnumNames.Unknown(EnumNames.Decisions, decision.ToString()), key);
        _supervision = _supervision.WithRule(exceptionType!, decision);
        return this;
    }

    /// <summary>Sets the decision for exceptions no rule matches. Config: <c>supervision.default</c>.</summary>
    /// <param name="decision">The default decision.</param>
    public PipelineSettingsBuilder DefaultDecision(SupervisionDecision decision)
    {
        Check(EnumNames.IsDefined(decision) ? null : EnumNames.Unknown(EnumNames.Decisions, decision.ToString()),
            ConfigPaths.Sub(ConfigPaths.Supervision, ConfigPaths.Default));
        _supervision = _supervision.WithDefault(decision);
        return this;
    }

    /// <summary>Replaces the supervision settings (default decision and all rules).</summary>
    /// <param name="supervision">The supervision settings.</param>
    public PipelineSettingsBuilder Supervision(SupervisionSettings supervision)
    {
        Check(supervision is null ? "is required" : null, ConfigPaths.Supervision);
        _supervision = supervision!;
        return this;
    }

    /// <summary>Sets what happens to records without a key. Config: <c>null-key-policy</c>.</summary>
    /// <param name="policy">The policy.</param>
    public PipelineSettingsBuilder NullKeyPolicy(NullKeyPolicy policy)
    {
        Check(PipelineChecks.NullKeyPolicy(policy), ConfigPaths.NullKeyPolicy);
        _nullKeyPolicy = policy;
        return this;
    }

    /// <summary>Adds output topics the entities may emit to. Config: <c>emit-topics</c>.</summary>
    /// <param name="topics">Valid Kafka topic names, each once in total.</param>
    public PipelineSettingsBuilder EmitTo(params IEnumerable<string> topics)
    {
        var list = _emitTopics.Concat(topics ?? []).ToList();
        Check(PipelineChecks.Topics(list, PipelineChecks.ExpectedEmitTopics, allowEmpty: true), ConfigPaths.EmitTopics);
        _emitTopics.Clear();
        _emitTopics.AddRange(list);
        return this;
    }

    /// <summary>Sets the idle time after which an entity is stopped (<see cref="TimeSpan.Zero"/> = never). Config: <c>passivate-after</c>.</summary>
    /// <param name="passivateAfter">&gt;= 0.</param>
    public PipelineSettingsBuilder PassivateAfter(TimeSpan passivateAfter)
    {
        Check(PipelineChecks.PassivateAfter(passivateAfter), ConfigPaths.PassivateAfter);
        _passivateAfter = passivateAfter;
        return this;
    }

    /// <summary>Sets how many events an event-sourced entity persists between snapshots (0 = never). Config: <c>snapshot-every</c>.</summary>
    /// <param name="snapshotEvery">&gt;= 0.</param>
    public PipelineSettingsBuilder SnapshotEvery(int snapshotEvery)
    {
        Check(PipelineChecks.SnapshotEvery(snapshotEvery), ConfigPaths.SnapshotEvery);
        _snapshotEvery = snapshotEvery;
        return this;
    }

    /// <summary>Sets how the values the entities emit are written. Config: <c>emit-format</c>.</summary>
    /// <param name="emitFormat">A defined <see cref="Settings.EmitFormat"/>.</param>
    public PipelineSettingsBuilder EmitFormat(EmitFormat emitFormat)
    {
        Check(PipelineChecks.EmitFormat(emitFormat), ConfigPaths.EmitFormat);
        _emitFormat = emitFormat;
        return this;
    }

    /// <summary>Sets how record values are read and checked. Config: <c>value-format</c>.</summary>
    /// <param name="valueFormat">A defined <see cref="Settings.ValueFormat"/>.</param>
    public PipelineSettingsBuilder ValueFormat(ValueFormat valueFormat)
    {
        Check(PipelineChecks.ValueFormat(valueFormat), ConfigPaths.ValueFormat);
        _valueFormat = valueFormat;
        return this;
    }

    /// <summary>
    /// Marks the pipeline critical (or not): a critical pipeline whose offset-out-of-range is
    /// <c>default</c> fails instead of skipping records. Config: <c>critical = on|off</c>.
    /// </summary>
    /// <param name="critical">Whether the pipeline must not lose records silently.</param>
    public PipelineSettingsBuilder Critical(bool critical = true)
    {
        _critical = critical;
        return this;
    }

    /// <summary>Sets what the pipeline's consumer does with an offset outside its partition's log. Config: <c>offset-out-of-range</c>.</summary>
    /// <param name="policy">A defined <see cref="PipelineOffsetOutOfRange"/>.</param>
    public PipelineSettingsBuilder OffsetOutOfRange(PipelineOffsetOutOfRange policy)
    {
        Check(PipelineChecks.OffsetOutOfRange(policy), ConfigPaths.OffsetOutOfRange);
        _offsetOutOfRange = policy;
        return this;
    }

    /// <summary>Validates everything and returns the settings. The builder can be used further afterwards.</summary>
    /// <exception cref="PipelineConfigurationException">A required value is missing or values contradict each other.</exception>
    public PipelineSettings Build()
    {
        if (_topics.Count == 0)
        {
            Check("is required: call Topic(\"name\") or Topics(\"a\", \"b\")", ConfigPaths.Topic);
        }

        Check(PipelineChecks.Entity(_entity), ConfigPaths.Entity);
        var groupId = _groupId ?? (_defaultGroupId.Length == 0 ? _name : _defaultGroupId);
        var derived = _dlqTopic is null && _defaultDlqTopic.Length == 0;
        var dlqTopic = _dlqTopic ?? (derived ? _topics[0] + PipelineSettings.DefaultDlqSuffix : _defaultDlqTopic);
        Check(PipelineChecks.DlqTopic(dlqTopic, _topics, derived), ConfigPaths.DlqTopic);

        return new PipelineSettings(
            _name,
            _topics,
            groupId,
            _entity!,
            dlqTopic,
            _maxInFlightPerPartition,
            _ackTimeout,
            _nullKeyPolicy,
            _retry,
            _supervision,
            _emitTopics,
            _passivateAfter,
            _snapshotEvery,
            _valueFormat,
            _critical,
            _offsetOutOfRange,
            _emitFormat);
    }

    private void Check(string? problem, string key)
    {
        if (problem is not null)
        {
            throw new PipelineConfigurationException(_name, key, problem);
        }
    }
}
