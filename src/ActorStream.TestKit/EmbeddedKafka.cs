using System.Globalization;
using ActorStream.TestKit.Internal;
using ActorStream.TestKit.Internal.Native;
using Confluent.Kafka;

namespace ActorStream.TestKit;

/// <summary>
/// An in-process Kafka cluster for tests and the dev stack: librdkafka's mock cluster, which speaks the real
/// Kafka protocol over TCP on 127.0.0.1, plus fault injection (brokers down/up, latency, leader moves, injected
/// request errors) and request tracking.
/// </summary>
/// <remarks>
/// <para>Any Kafka client can connect to <see cref="BootstrapServers"/>. The cluster runs on its own native thread
/// and lives until <see cref="Dispose"/> or the end of the process (it cannot be shared with other processes; run
/// <c>actorstream kafka</c> for that).</para>
/// <para>Topics: create them with <see cref="CreateTopic"/> (the mock broker has no CreateTopics API). The mock
/// also auto-creates a topic with 4 partitions and replication factor min(3, brokers) when a client's Metadata
/// request names an unknown topic and allows auto-creation (librdkafka producers do by default,
/// <c>allow.auto.create.topics=true</c>; consumers do not), and when a fault-injection method names an unknown
/// topic. Set <c>allow.auto.create.topics=false</c> on clients to catch typos.</para>
/// <para>Limits of the mock: each partition keeps at most 100,000 message sets / 5 MiB (older data is silently
/// dropped); no SASL/TLS; a non-transactional idempotent producer gets no broker-side de-duplication;
/// replication is simulated (replicas are only reported in metadata). It does not serve CreateTopics,
/// DeleteRecords, DescribeGroups, ListGroups or DescribeConfigs; beware that
/// <c>IAdminClient.ListConsumerGroupsAsync</c> against the mock crashes the process (a double free in
/// Confluent.Kafka/librdkafka 2.16), see <see cref="KafkaApiKey"/>.</para>
/// <para>Unlike a real broker (3 s), the group initial rebalance delay is 0 so that consumer groups form at
/// once; see <see cref="SetGroupInitialRebalanceDelay"/>.</para>
/// <para>All members are thread-safe. Methods throw <see cref="ObjectDisposedException"/> after
/// <see cref="Dispose"/>.</para>
/// </remarks>
public sealed class EmbeddedKafka : IDisposable
{
    /// <summary>The largest broker count <see cref="Start(int)"/> accepts.</summary>
    public const int MaxBrokers = 64;

    /// <summary>The largest partition count <see cref="CreateTopic"/> accepts.</summary>
    public const int MaxPartitions = 10_000;

    private readonly object _gate = new();
    private readonly LibRdKafka _native;
    private readonly Dictionary<string, int> _topics = new(StringComparer.Ordinal);
    private readonly int[] _brokerIds;
    private IntPtr _handle;
    private IntPtr _cluster;
    private bool _disposed;
    private RequestTracking _tracking = RequestTracking.Never;
    private List<MockRequest> _stoppedRequests = [];

    private enum RequestTracking
    {
        Never,
        On,
        Stopped,
    }

    private EmbeddedKafka(LibRdKafka native, IntPtr handle, IntPtr cluster, int brokers)
    {
        _native = native;
        _handle = handle;
        _cluster = cluster;
        _brokerIds = Enumerable.Range(1, brokers).ToArray();
        BootstrapServers = native.MockClusterBootstraps(cluster);
        BrokerIds = Array.AsReadOnly(_brokerIds);
    }

    /// <summary>The brokers' addresses, e.g. <c>127.0.0.1:40123,127.0.0.1:40125</c>, for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of brokers in the cluster.</summary>
    public int BrokerCount => _brokerIds.Length;

    /// <summary>The broker ids, 1 to <see cref="BrokerCount"/>.</summary>
    public IReadOnlyList<int> BrokerIds { get; }

    /// <summary>Topics created through <see cref="CreateTopic"/> (or <see cref="Start(int, ValueTuple{string, int}[])"/>) and their partition counts.</summary>
    public IReadOnlyDictionary<string, int> Topics
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_topics, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Checks a topic name against Kafka's rules (1..249 characters of ASCII letters, digits, '.', '_' and '-';
    /// not "." or "..").
    /// </summary>
    /// <param name="topic">The name to check.</param>
    /// <returns>Null if the name is legal, else the reason it is not.</returns>
    public static string? CheckTopicName(string? topic) => TopicNames.Validate(topic);

    /// <summary>Where the librdkafka native library was loaded from (diagnostics).</summary>
    internal string NativeLibrarySource => _native.Source;

    /// <summary>Starts a mock cluster with <paramref name="brokers"/> brokers (ids 1..N) listening on 127.0.0.1.</summary>
    /// <param name="brokers">Number of brokers, 1 to <see cref="MaxBrokers"/>.</param>
    /// <returns>The running cluster; dispose it to stop it.</returns>
    /// <exception cref="EmbeddedKafkaException">Invalid broker count, or librdkafka could not be loaded or start the cluster.</exception>
    public static EmbeddedKafka Start(int brokers = 1) => Start(brokers, []);

    /// <summary>Starts a mock cluster with <paramref name="brokers"/> brokers and creates the given topics (replication factor 1).</summary>
    /// <param name="brokers">Number of brokers, 1 to <see cref="MaxBrokers"/>.</param>
    /// <param name="topics">Topics to create, with their partition counts.</param>
    /// <returns>The running cluster; dispose it to stop it.</returns>
    /// <exception cref="EmbeddedKafkaException">Invalid broker count or topic, or the cluster could not be started.</exception>
    public static EmbeddedKafka Start(int brokers, params (string Topic, int Partitions)[] topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (brokers < 1 || brokers > MaxBrokers)
        {
            throw new EmbeddedKafkaException(
                $"Cannot start embedded Kafka with {brokers} brokers: the broker count must be between 1 and {MaxBrokers}.");
        }

        foreach (var (topic, partitions) in topics)
        {
            ValidateTopicArguments(topic, partitions, 1, brokers);
        }

        var native = LibRdKafka.Instance;
        var conf = native.ConfNew();
        IntPtr handle;
        try
        {
            SetConf(native, conf, "client.id", "actorstream-embedded-kafka");

            // Warnings and errors only: the handle has no bootstrap.servers, which librdkafka reports as a notice.
            SetConf(native, conf, "log_level", "4");
            handle = native.New(LibRdKafka.RdKafkaProducer, conf, out var error);
            if (handle == IntPtr.Zero)
            {
                throw new EmbeddedKafkaException($"Cannot start embedded Kafka: rd_kafka_new failed: {error}");
            }
        }
        catch
        {
            native.ConfDestroy(conf);
            throw;
        }

        var cluster = native.MockClusterNew(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            native.Destroy(handle);
            throw new EmbeddedKafkaException(
                $"Cannot start embedded Kafka: rd_kafka_mock_cluster_new failed for {brokers} brokers (see librdkafka's log on stderr).");
        }

        var kafka = new EmbeddedKafka(native, handle, cluster, brokers);
        try
        {
            native.MockGroupInitialRebalanceDelayMs(cluster, 0);
            foreach (var (topic, partitions) in topics)
            {
                kafka.CreateTopic(topic, partitions);
            }
        }
        catch
        {
            kafka.Dispose();
            throw;
        }

        return kafka;
    }

    /// <summary>
    /// Creates a topic. Creating a topic that already exists with the same partition count succeeds and does
    /// nothing (so does re-creating a topic a client auto-created, if the partition count matches).
    /// </summary>
    /// <param name="topic">Topic name: 1..249 characters of ASCII letters, digits, '.', '_' and '-'.</param>
    /// <param name="partitions">Partition count, 1 to <see cref="MaxPartitions"/>.</param>
    /// <param name="replicationFactor">Replication factor, 1 to <see cref="BrokerCount"/> (replicas only appear in metadata).</param>
    /// <exception cref="EmbeddedKafkaException">Invalid arguments, or the topic exists with another partition count; the message names the topic.</exception>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ValidateTopicArguments(topic, partitions, replicationFactor, BrokerCount);

        int err;
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_topics.TryGetValue(topic, out var known))
            {
                if (known == partitions)
                {
                    return;
                }

                throw new EmbeddedKafkaException(
                    $"Cannot create topic '{topic}' with {partitions} partitions: it already exists with {known} partitions.",
                    Confluent.Kafka.ErrorCode.TopicAlreadyExists);
            }

            err = _native.MockTopicCreate(_cluster, topic, partitions, replicationFactor);
            if (err == 0)
            {
                _topics[topic] = partitions;
                return;
            }
        }

        if (err != (int)Confluent.Kafka.ErrorCode.TopicAlreadyExists)
        {
            throw Failure($"Cannot create topic '{topic}' with {partitions} partitions", err);
        }

        // Created behind our back: auto-created by a client's metadata request or a fault-injection call.
        var existing = QueryPartitionCount(topic);
        if (existing != partitions)
        {
            throw new EmbeddedKafkaException(
                $"Cannot create topic '{topic}' with {partitions} partitions: it already exists with "
                + $"{(existing is null ? "an unknown number of" : existing.Value.ToString(CultureInfo.InvariantCulture))} partitions "
                + "(probably auto-created by a client's metadata request; create topics before clients use them, "
                + "or set allow.auto.create.topics=false on clients).",
                Confluent.Kafka.ErrorCode.TopicAlreadyExists);
        }

        lock (_gate)
        {
            _topics[topic] = partitions;
        }
    }

    /// <summary>Deletes a topic and all its data; later requests naming it get UNKNOWN_TOPIC_OR_PART.</summary>
    /// <param name="topic">The topic to delete.</param>
    /// <exception cref="EmbeddedKafkaException">The topic does not exist.</exception>
    public void DeleteTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        lock (_gate)
        {
            ThrowIfDisposed();
            RequireExport(_native.HasTopicDelete, "DeleteTopic", "rd_kafka_mock_topic_delete");
            var err = _native.MockTopicDelete(_cluster, topic);
            if (err != 0)
            {
                throw Failure($"Cannot delete topic '{topic}'", err);
            }

            _topics.Remove(topic);
        }
    }

    /// <summary>
    /// Deletes the records of <paramref name="topic"/> [<paramref name="partition"/>] before
    /// <paramref name="beforeOffset"/>: the partition's log start offset (low watermark) becomes
    /// <paramref name="beforeOffset"/>, so a consumer positioned below it gets OFFSET_OUT_OF_RANGE and applies
    /// its <c>auto.offset.reset</c>. This is how to truncate a partition: the mock broker does not serve the
    /// DeleteRecords API, so AdminClient.DeleteRecordsAsync fails against it.
    /// </summary>
    /// <param name="topic">Topic name.</param>
    /// <param name="partition">Partition id.</param>
    /// <param name="beforeOffset">New log start offset, at most the partition's end offset (high watermark).</param>
    /// <remarks>The mock also accepts an offset below the current start offset and moves the start back; don't.</remarks>
    /// <exception cref="EmbeddedKafkaException">Unknown topic or partition, or <paramref name="beforeOffset"/> beyond the end offset.</exception>
    public void DeleteRecords(string topic, int partition, long beforeOffset)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (beforeOffset < 0)
        {
            throw new EmbeddedKafkaException(
                $"Cannot delete records of '{topic}' [{partition}]: beforeOffset must be >= 0 (was {beforeOffset}).");
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            RequireExport(_native.HasDeleteRecords, "DeleteRecords", "rd_kafka_mock_partition_delete_records");
            var err = _native.MockPartitionDeleteRecords(_cluster, topic, partition, beforeOffset);
            if (err == (int)Confluent.Kafka.ErrorCode.OffsetOutOfRange)
            {
                throw new EmbeddedKafkaException(
                    $"Cannot delete records of '{topic}' [{partition}] before offset {beforeOffset}: the offset is beyond the partition's end offset.",
                    Confluent.Kafka.ErrorCode.OffsetOutOfRange);
            }

            if (err != 0)
            {
                throw Failure($"Cannot delete records of '{topic}' [{partition}] before offset {beforeOffset}", err);
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="topic"/> report <paramref name="error"/> in Metadata (and AddPartitionsToTxn)
    /// responses; <see cref="Confluent.Kafka.ErrorCode.NoError"/> clears it. An unknown topic is auto-created
    /// with 4 partitions.
    /// </summary>
    /// <param name="topic">Topic name.</param>
    /// <param name="error">The topic-level error to report.</param>
    public void SetTopicError(string topic, ErrorCode error)
    {
        ArgumentNullException.ThrowIfNull(topic);
        lock (_gate)
        {
            ThrowIfDisposed();
            _native.MockTopicSetError(_cluster, topic, (int)error);
        }
    }

    /// <summary>
    /// Takes a broker down: its connections are closed and new ones refused (its port is kept). Partition
    /// leadership does NOT move; use <see cref="SetPartitionLeader"/> for that.
    /// </summary>
    /// <param name="brokerId">One of <see cref="BrokerIds"/>.</param>
    /// <exception cref="EmbeddedKafkaException">Unknown broker id.</exception>
    public void SetBrokerDown(int brokerId) => BrokerCommand(brokerId, "set broker down", (n, c) => n.MockBrokerSetDown(c, brokerId));

    /// <summary>Brings a broker back up after <see cref="SetBrokerDown"/>: it accepts connections on its port again.</summary>
    /// <param name="brokerId">One of <see cref="BrokerIds"/>.</param>
    /// <exception cref="EmbeddedKafkaException">Unknown broker id.</exception>
    public void SetBrokerUp(int brokerId) => BrokerCommand(brokerId, "set broker up", (n, c) => n.MockBrokerSetUp(c, brokerId));

    /// <summary>Delays every response of a broker by <paramref name="rtt"/> (<see cref="TimeSpan.Zero"/> removes the delay).</summary>
    /// <param name="brokerId">One of <see cref="BrokerIds"/>.</param>
    /// <param name="rtt">Added round-trip time, whole milliseconds, 0 to <see cref="int.MaxValue"/> ms.</param>
    /// <exception cref="EmbeddedKafkaException">Unknown broker id or negative/too large delay.</exception>
    public void SetBrokerRtt(int brokerId, TimeSpan rtt)
    {
        var ms = ToMilliseconds(rtt, $"Cannot set the round-trip time of broker {brokerId}");
        BrokerCommand(brokerId, "set broker rtt", (n, c) => n.MockBrokerSetRtt(c, brokerId, ms));
    }

    /// <summary>
    /// Moves the leadership of <paramref name="topic"/> [<paramref name="partition"/>] to
    /// <paramref name="brokerId"/> and bumps the leader epoch; clients notice on their next metadata refresh
    /// (immediately after a NOT_LEADER error from the old leader). An unknown topic is auto-created with
    /// <paramref name="partition"/>+1 partitions.
    /// </summary>
    /// <param name="topic">Topic name.</param>
    /// <param name="partition">Partition id.</param>
    /// <param name="brokerId">One of <see cref="BrokerIds"/>, or -1 to make the partition leaderless.</param>
    /// <exception cref="EmbeddedKafkaException">Unknown broker, or partition out of range.</exception>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (brokerId != -1)
        {
            ValidateBroker(brokerId, $"make it the leader of '{topic}' [{partition}]");
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            var err = _native.MockPartitionSetLeader(_cluster, topic, partition, brokerId);
            if (err != 0)
            {
                throw Failure($"Cannot set the leader of '{topic}' [{partition}] to broker {brokerId}", err);
            }
        }
    }

    /// <summary>
    /// Sets the preferred follower (read replica, KIP-392) that the leader reports for fetches from clients
    /// with a <c>client.rack</c>. The broker need not exist (to test clients' fallback). An unknown topic is
    /// auto-created.
    /// </summary>
    /// <param name="topic">Topic name.</param>
    /// <param name="partition">Partition id.</param>
    /// <param name="brokerId">Preferred follower's broker id, or -1 to clear.</param>
    /// <exception cref="EmbeddedKafkaException">Partition out of range.</exception>
    public void SetPartitionFollower(string topic, int partition, int brokerId)
    {
        ArgumentNullException.ThrowIfNull(topic);
        lock (_gate)
        {
            ThrowIfDisposed();
            var err = _native.MockPartitionSetFollower(_cluster, topic, partition, brokerId);
            if (err != 0)
            {
                throw Failure($"Cannot set the follower of '{topic}' [{partition}] to broker {brokerId}", err);
            }
        }
    }

    /// <summary>
    /// Pins the coordinator for a consumer group or a transactional id to a broker (otherwise the mock
    /// hashes the key over all brokers, including ones that are down).
    /// </summary>
    /// <param name="keyType"><c>"group"</c> or <c>"transaction"</c>.</param>
    /// <param name="key">The group.id or transactional.id.</param>
    /// <param name="brokerId">One of <see cref="BrokerIds"/> (the mock would abort the process on an unknown one).</param>
    /// <exception cref="EmbeddedKafkaException">Unknown key type or broker.</exception>
    public void SetCoordinator(string keyType, string key, int brokerId)
    {
        ArgumentNullException.ThrowIfNull(keyType);
        ArgumentNullException.ThrowIfNull(key);
        if (keyType is not ("group" or "transaction"))
        {
            throw new EmbeddedKafkaException(
                $"Cannot set the coordinator of '{key}': key type '{keyType}' is not \"group\" or \"transaction\".");
        }

        ValidateBroker(brokerId, $"make it the {keyType} coordinator of '{key}'");
        lock (_gate)
        {
            ThrowIfDisposed();
            var err = _native.MockCoordinatorSet(_cluster, keyType, key, brokerId);
            if (err != 0)
            {
                throw Failure($"Cannot set the {keyType} coordinator of '{key}' to broker {brokerId}", err);
            }
        }
    }

    /// <summary>
    /// Sets how long the first member of an empty group waits for others before the group is balanced
    /// (a real broker's <c>group.initial.rebalance.delay.ms</c>, 3 s by default there; 0 here by default).
    /// </summary>
    /// <param name="delay">The delay, whole milliseconds.</param>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        var ms = ToMilliseconds(delay, "Cannot set the group initial rebalance delay");
        lock (_gate)
        {
            ThrowIfDisposed();
            _native.MockGroupInitialRebalanceDelayMs(_cluster, ms);
        }
    }

    /// <summary>
    /// Makes the next <c>errors.Length</c> requests of type <paramref name="apiKey"/> (to any broker) fail
    /// with the given errors, in order. The error is returned for the whole request (every partition in it);
    /// the request has no other effect (a failed Produce appends nothing).
    /// <see cref="Confluent.Kafka.ErrorCode.Local_Transport"/> makes the broker close the connection instead.
    /// </summary>
    /// <remarks>
    /// Beware with Produce and an idempotent producer that has several requests in flight to one partition
    /// (<c>max.in.flight</c> &gt; 1, the default): the mock checks producer sequence numbers only for
    /// transactional producers, so it appends the requests sent after the failed one, and librdkafka, seeing
    /// later records acknowledged, reports the failed records as persisted although they were never written
    /// (a real broker rejects the later requests with OUT_OF_ORDER_SEQUENCE_NUMBER, so this loss cannot happen
    /// there). Use <c>max.in.flight=1</c> in such tests, or inject the error while only one request is in flight.
    /// </remarks>
    /// <param name="apiKey">Request type.</param>
    /// <param name="errors">Errors for the next requests, in order.</param>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, e => (int)e);
        lock (_gate)
        {
            ThrowIfDisposed();
            _native.MockPushRequestErrors(_cluster, (short)apiKey, codes);
        }
    }

    /// <summary>Drops errors pushed with <see cref="PushRequestErrors"/> for <paramref name="apiKey"/> that were not yet used.</summary>
    /// <param name="apiKey">Request type.</param>
    public void ClearRequestErrors(KafkaApiKey apiKey)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _native.MockClearRequestErrors(_cluster, (short)apiKey);
        }
    }

    /// <summary>
    /// Makes the next requests of type <paramref name="apiKey"/> that reference <paramref name="topic"/>
    /// [<paramref name="partition"/>] get the given partition-level errors, one per request, in order; other
    /// partitions in the same request are unaffected (e.g. Fetch with OffsetOutOfRange or NotLeaderForPartition
    /// for one partition). Errors pushed with <see cref="PushRequestErrors"/> take precedence.
    /// </summary>
    /// <remarks>See <see cref="PushRequestErrors"/> about Produce errors with several requests in flight.</remarks>
    /// <param name="topic">Topic name (auto-created if unknown).</param>
    /// <param name="partition">Partition id.</param>
    /// <param name="apiKey">Request type.</param>
    /// <param name="errors">Errors for the next requests referencing the partition, in order.</param>
    /// <exception cref="PlatformNotSupportedException">On macOS arm64 (variadic native call).</exception>
    /// <exception cref="EmbeddedKafkaException">Partition out of range.</exception>
    public void PushPartitionRequestErrors(string topic, int partition, KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(errors);
        RequireVariadic(nameof(PushPartitionRequestErrors));
        lock (_gate)
        {
            ThrowIfDisposed();
            RequireExport(_native.HasPartitionRequestErrors, nameof(PushPartitionRequestErrors), "rd_kafka_mock_partition_push_request_errors");
            foreach (var error in errors)
            {
                var err = _native.MockPartitionPushRequestError(_cluster, topic, partition, (short)apiKey, (int)error);
                if (err != 0)
                {
                    throw Failure($"Cannot push {apiKey} errors for '{topic}' [{partition}]", err);
                }
            }
        }
    }

    /// <summary>
    /// Makes the next requests of type <paramref name="apiKey"/> to broker <paramref name="brokerId"/> fail with
    /// the given errors (<see cref="Confluent.Kafka.ErrorCode.NoError"/> to only delay) and answer after the given
    /// extra delay, one entry per request, in order. Takes precedence over <see cref="PushRequestErrors"/>.
    /// </summary>
    /// <param name="brokerId">One of <see cref="BrokerIds"/>.</param>
    /// <param name="apiKey">Request type.</param>
    /// <param name="errors">(error, extra response delay) for the next requests, in order.</param>
    /// <exception cref="PlatformNotSupportedException">On macOS arm64 (variadic native call).</exception>
    /// <exception cref="EmbeddedKafkaException">Unknown broker.</exception>
    public void PushBrokerRequestErrors(int brokerId, KafkaApiKey apiKey, params (ErrorCode Error, TimeSpan Delay)[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        RequireVariadic(nameof(PushBrokerRequestErrors));
        ValidateBroker(brokerId, $"push {apiKey} errors");
        var entries = errors
            .Select(e => (Code: (int)e.Error, Ms: ToMilliseconds(e.Delay, $"Cannot push {apiKey} errors for broker {brokerId}")))
            .ToArray();
        lock (_gate)
        {
            ThrowIfDisposed();
            foreach (var (code, ms) in entries)
            {
                var err = _native.MockBrokerPushRequestErrorRtt(_cluster, brokerId, (short)apiKey, code, ms);
                if (err != 0)
                {
                    throw Failure($"Cannot push {apiKey} errors for broker {brokerId}", err);
                }
            }
        }
    }

    /// <summary>
    /// Starts recording every request the brokers receive (a fresh recording: requests recorded before are
    /// discarded). Does nothing if tracking is already on.
    /// </summary>
    public void StartRequestTracking()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_tracking == RequestTracking.On)
            {
                return;
            }

            _stoppedRequests = [];
            _native.MockStartRequestTracking(_cluster);
            _tracking = RequestTracking.On;
        }
    }

    /// <summary>Stops recording; the requests recorded so far stay available from <see cref="GetRequests"/>.</summary>
    public void StopRequestTracking()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_tracking != RequestTracking.On)
            {
                return;
            }

            // The mock discards its list when tracking stops, so keep a copy.
            _stoppedRequests = ReadNativeRequests();
            _native.MockStopRequestTracking(_cluster);
            _tracking = RequestTracking.Stopped;
        }
    }

    /// <summary>Forgets the requests recorded so far (tracking stays on if it was on).</summary>
    public void ClearRequests()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _stoppedRequests = [];
            _native.MockClearRequests(_cluster);
        }
    }

    /// <summary>The requests recorded since <see cref="StartRequestTracking"/> (or the last <see cref="ClearRequests"/>), in arrival order.</summary>
    /// <returns>A snapshot of the recorded requests.</returns>
    /// <exception cref="InvalidOperationException">Request tracking was never started.</exception>
    public IReadOnlyList<MockRequest> GetRequests()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return _tracking switch
            {
                RequestTracking.On => ReadNativeRequests(),
                RequestTracking.Stopped => _stoppedRequests.ToList(),
                _ => throw new InvalidOperationException(
                    "Request tracking was never started on this EmbeddedKafka; call StartRequestTracking() first."),
            };
        }
    }

    /// <summary>How many requests of type <paramref name="apiKey"/> were recorded (see <see cref="GetRequests"/>).</summary>
    /// <param name="apiKey">Request type.</param>
    /// <returns>The number of recorded requests of that type.</returns>
    /// <exception cref="InvalidOperationException">Request tracking was never started.</exception>
    public int CountRequests(KafkaApiKey apiKey) => GetRequests().Count(r => r.ApiKey == apiKey);

    /// <summary>Stops the cluster (closing all client connections) and frees it. Safe to call more than once.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_cluster != IntPtr.Zero)
            {
                _native.MockClusterDestroy(_cluster);
                _cluster = IntPtr.Zero;
            }

            if (_handle != IntPtr.Zero)
            {
                _native.Destroy(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"EmbeddedKafka(brokers={BrokerCount}, bootstrap.servers={BootstrapServers})";

    private List<MockRequest> ReadNativeRequests() =>
        _native.MockGetRequests(_cluster)
            .Select(r => new MockRequest(r.BrokerId, (KafkaApiKey)r.ApiKey, MonotonicClock.ToDateTimeOffset(r.TimestampMicros)))
            .ToList();

    private void BrokerCommand(int brokerId, string operation, Func<LibRdKafka, IntPtr, int> command)
    {
        ValidateBroker(brokerId, operation);
        lock (_gate)
        {
            ThrowIfDisposed();
            var err = command(_native, _cluster);
            if (err != 0)
            {
                throw Failure($"Cannot {operation} for broker {brokerId}", err);
            }
        }
    }

    private void ValidateBroker(int brokerId, string operation)
    {
        if (Array.IndexOf(_brokerIds, brokerId) < 0)
        {
            throw new EmbeddedKafkaException(
                $"Broker {brokerId} does not exist in this embedded Kafka cluster (broker ids are 1..{BrokerCount}); cannot {operation}.");
        }
    }

    private static void ValidateTopicArguments(string topic, int partitions, int replicationFactor, int brokers)
    {
        var invalidName = TopicNames.Validate(topic);
        if (invalidName is not null)
        {
            throw new EmbeddedKafkaException($"Cannot create topic '{topic}': {invalidName}.");
        }

        if (partitions < 1 || partitions > MaxPartitions)
        {
            throw new EmbeddedKafkaException(
                $"Cannot create topic '{topic}' with {partitions} partitions: the partition count must be between 1 and {MaxPartitions}.");
        }

        if (replicationFactor < 1 || replicationFactor > brokers)
        {
            throw new EmbeddedKafkaException(
                $"Cannot create topic '{topic}' with replication factor {replicationFactor}: it must be between 1 and the broker count ({brokers}).");
        }
    }

    private static int ToMilliseconds(TimeSpan value, string context)
    {
        var ms = Math.Round(value.TotalMilliseconds);
        if (ms < 0 || ms > int.MaxValue)
        {
            throw new EmbeddedKafkaException($"{context}: {value} is negative or too large.");
        }

        return (int)ms;
    }

    private static void SetConf(LibRdKafka native, IntPtr conf, string name, string value)
    {
        var error = native.ConfSet(conf, name, value);
        if (error is not null)
        {
            throw new EmbeddedKafkaException($"Cannot start embedded Kafka: setting {name}={value} failed: {error}");
        }
    }

    private static void RequireVariadic(string operation)
    {
        if (!LibRdKafka.SupportsVariadicCalls)
        {
            throw new PlatformNotSupportedException(
                $"{operation} calls a variadic librdkafka function, which is not supported on macOS arm64.");
        }
    }

    private static void RequireExport(bool available, string operation, string export)
    {
        if (!available)
        {
            throw new EmbeddedKafkaException($"{operation} needs '{export}', which the loaded librdkafka does not export.");
        }
    }

    private EmbeddedKafkaException Failure(string context, int err) =>
        new($"{context}: {_native.ErrorName(err)} ({_native.ErrorDescription(err)}).", (ErrorCode)err);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private int? QueryPartitionCount(string topic)
    {
        var config = new AdminClientConfig { BootstrapServers = BootstrapServers, LogConnectionClose = false };
        config.Set("allow.auto.create.topics", "false");
        using var admin = new AdminClientBuilder(config).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var match = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
        return match is null || match.Error.IsError ? null : match.Partitions.Count;
    }
}
