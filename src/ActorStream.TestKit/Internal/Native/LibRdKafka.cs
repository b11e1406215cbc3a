using System.Runtime.InteropServices;

namespace ActorStream.TestKit.Internal.Native;

/// <summary>
/// Function pointers into librdkafka for the handle and mock-cluster API (see rdkafka.h and rdkafka_mock.h of
/// librdkafka.redist 2.16). The library is resolved by <see cref="NativeLibraryLoader"/>.
/// </summary>
/// <remarks>
/// Types: <c>rd_kafka_resp_err_t</c> is a C enum (int), <c>int16_t</c> ApiKey is short, <c>size_t</c> is nuint.
/// The variadic functions (<c>rd_kafka_mock_partition_push_request_errors</c>,
/// <c>rd_kafka_mock_broker_push_request_error_rtts</c>) are called with one error per call and a fixed
/// argument list, which matches the variadic calling convention on x64 (System V and Windows) and on
/// AAPCS64 Linux, but not on Apple arm64 where variadic arguments go on the stack; see
/// <see cref="SupportsVariadicCalls"/>.
/// </remarks>
internal sealed unsafe class LibRdKafka
{
    internal const int RdKafkaProducer = 0;
    internal const int ConfOk = 0;

    private static readonly Lazy<LibRdKafka> Shared = new(
        () => new LibRdKafka(NativeLibraryLoader.Library), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly delegate* unmanaged[Cdecl]<IntPtr> _confNew;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int> _confSet;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _confDestroy;
    private readonly delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr> _new;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _destroy;
    private readonly delegate* unmanaged[Cdecl]<int, IntPtr> _err2str;
    private readonly delegate* unmanaged[Cdecl]<int, IntPtr> _err2name;
    private readonly delegate* unmanaged[Cdecl]<IntPtr> _versionStr;

    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr> _mockClusterNew;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _mockClusterDestroy;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, IntPtr> _mockClusterBootstraps;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> _mockTopicCreate;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int> _mockTopicDelete;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, void> _mockTopicSetError;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, long, int> _mockPartitionDeleteRecords;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> _mockPartitionSetLeader;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int> _mockPartitionSetFollower;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> _mockBrokerSetDown;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, int> _mockBrokerSetUp;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, int, int> _mockBrokerSetRtt;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, int, int> _mockCoordinatorSet;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void> _mockPushRequestErrorsArray;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, short, void> _mockClearRequestErrors;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, short, nuint, int, int> _mockPartitionPushRequestError;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, short, nuint, int, int, int> _mockBrokerPushRequestErrorRtt;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int, void> _mockGroupInitialRebalanceDelayMs;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _mockStartRequestTracking;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _mockStopRequestTracking;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _mockClearRequests;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, nuint*, IntPtr*> _mockGetRequests;
    private readonly delegate* unmanaged[Cdecl]<IntPtr*, nuint, void> _mockRequestDestroyArray;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int> _mockRequestId;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, short> _mockRequestApiKey;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, long> _mockRequestTimestamp;

    private LibRdKafka(LoadedNativeLibrary library)
    {
        Source = library.Source;
        var h = library.Handle;
        _confNew = (delegate* unmanaged[Cdecl]<IntPtr>)Export(h, "rd_kafka_conf_new");
        _confSet = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, byte*, nuint, int>)Export(h, "rd_kafka_conf_set");
        _confDestroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(h, "rd_kafka_conf_destroy");
        _new = (delegate* unmanaged[Cdecl]<int, IntPtr, byte*, nuint, IntPtr>)Export(h, "rd_kafka_new");
        _destroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(h, "rd_kafka_destroy");
        _err2str = (delegate* unmanaged[Cdecl]<int, IntPtr>)Export(h, "rd_kafka_err2str");
        _err2name = (delegate* unmanaged[Cdecl]<int, IntPtr>)Export(h, "rd_kafka_err2name");
        _versionStr = (delegate* unmanaged[Cdecl]<IntPtr>)Export(h, "rd_kafka_version_str");

        _mockClusterNew = (delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr>)Export(h, "rd_kafka_mock_cluster_new");
        _mockClusterDestroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(h, "rd_kafka_mock_cluster_destroy");
        _mockClusterBootstraps = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)Export(h, "rd_kafka_mock_cluster_bootstraps");
        _mockTopicCreate = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)Export(h, "rd_kafka_mock_topic_create");
        _mockTopicDelete = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int>)OptionalExport(h, "rd_kafka_mock_topic_delete");
        _mockTopicSetError = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, void>)Export(h, "rd_kafka_mock_topic_set_error");
        _mockPartitionDeleteRecords = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, long, int>)OptionalExport(h, "rd_kafka_mock_partition_delete_records");
        _mockPartitionSetLeader = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)Export(h, "rd_kafka_mock_partition_set_leader");
        _mockPartitionSetFollower = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, int, int>)Export(h, "rd_kafka_mock_partition_set_follower");
        _mockBrokerSetDown = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)Export(h, "rd_kafka_mock_broker_set_down");
        _mockBrokerSetUp = (delegate* unmanaged[Cdecl]<IntPtr, int, int>)Export(h, "rd_kafka_mock_broker_set_up");
        _mockBrokerSetRtt = (delegate* unmanaged[Cdecl]<IntPtr, int, int, int>)Export(h, "rd_kafka_mock_broker_set_rtt");
        _mockCoordinatorSet = (delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, int, int>)Export(h, "rd_kafka_mock_coordinator_set");
        _mockPushRequestErrorsArray = (delegate* unmanaged[Cdecl]<IntPtr, short, nuint, int*, void>)Export(h, "rd_kafka_mock_push_request_errors_array");
        _mockClearRequestErrors = (delegate* unmanaged[Cdecl]<IntPtr, short, void>)Export(h, "rd_kafka_mock_clear_request_errors");
        _mockPartitionPushRequestError = (delegate* unmanaged[Cdecl]<IntPtr, byte*, int, short, nuint, int, int>)OptionalExport(h, "rd_kafka_mock_partition_push_request_errors");
        _mockBrokerPushRequestErrorRtt = (delegate* unmanaged[Cdecl]<IntPtr, int, short, nuint, int, int, int>)Export(h, "rd_kafka_mock_broker_push_request_error_rtts");
        _mockGroupInitialRebalanceDelayMs = (delegate* unmanaged[Cdecl]<IntPtr, int, void>)Export(h, "rd_kafka_mock_group_initial_rebalance_delay_ms");
        _mockStartRequestTracking = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(h, "rd_kafka_mock_start_request_tracking");
        _mockStopRequestTracking = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(h, "rd_kafka_mock_stop_request_tracking");
        _mockClearRequests = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(h, "rd_kafka_mock_clear_requests");
        _mockGetRequests = (delegate* unmanaged[Cdecl]<IntPtr, nuint*, IntPtr*>)Export(h, "rd_kafka_mock_get_requests");
        _mockRequestDestroyArray = (delegate* unmanaged[Cdecl]<IntPtr*, nuint, void>)Export(h, "rd_kafka_mock_request_destroy_array");
        _mockRequestId = (delegate* unmanaged[Cdecl]<IntPtr, int>)Export(h, "rd_kafka_mock_request_id");
        _mockRequestApiKey = (delegate* unmanaged[Cdecl]<IntPtr, short>)Export(h, "rd_kafka_mock_request_api_key");
        _mockRequestTimestamp = (delegate* unmanaged[Cdecl]<IntPtr, long>)Export(h, "rd_kafka_mock_request_timestamp");
    }

    /// <summary>The process-wide instance (loads librdkafka on first use).</summary>
    internal static LibRdKafka Instance => Shared.Value;

    /// <summary>Where the library came from (path or probing name), for diagnostics.</summary>
    internal string Source { get; }

    /// <summary>
    /// Whether the fixed-argument calls into variadic mock functions are ABI-compatible here
    /// (false on Apple arm64, where variadic arguments are passed on the stack).
    /// </summary>
    internal static bool SupportsVariadicCalls =>
        !(OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64);

    internal bool HasDeleteRecords => _mockPartitionDeleteRecords != null;

    internal bool HasTopicDelete => _mockTopicDelete != null;

    internal bool HasPartitionRequestErrors => _mockPartitionPushRequestError != null;

    private static IntPtr Export(IntPtr handle, string name)
    {
        if (NativeLibrary.TryGetExport(handle, name, out var address))
        {
            return address;
        }

        throw new EmbeddedKafkaException(
            $"The loaded librdkafka has no export '{name}'; ActorStream.TestKit needs librdkafka.redist 2.16 or later.");
    }

    private static IntPtr OptionalExport(IntPtr handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address) ? address : IntPtr.Zero;

    internal string Version() => Marshal.PtrToStringUTF8(_versionStr()) ?? "?";

    internal string ErrorName(int err) => Marshal.PtrToStringUTF8(_err2name(err)) ?? err.ToString();

    internal string ErrorDescription(int err) => Marshal.PtrToStringUTF8(_err2str(err)) ?? err.ToString();

    internal IntPtr ConfNew() => _confNew();

    internal void ConfDestroy(IntPtr conf) => _confDestroy(conf);

    /// <summary>Sets a property; returns null on success, else librdkafka's error text.</summary>
    internal string? ConfSet(IntPtr conf, string name, string value)
    {
        const int errSize = 512;
        var errstr = stackalloc byte[errSize];
        using var n = new Utf8String(name);
        using var v = new Utf8String(value);
        var result = _confSet(conf, n.Pointer, v.Pointer, errstr, errSize);
        return result == ConfOk ? null : Marshal.PtrToStringUTF8((IntPtr)errstr) ?? $"conf result {result}";
    }

    /// <summary>Creates a client handle; on failure returns zero and the error text (conf is then still owned by the caller).</summary>
    internal IntPtr New(int type, IntPtr conf, out string? error)
    {
        const int errSize = 512;
        var errstr = stackalloc byte[errSize];
        var rk = _new(type, conf, errstr, errSize);
        error = rk == IntPtr.Zero ? Marshal.PtrToStringUTF8((IntPtr)errstr) : null;
        return rk;
    }

    internal void Destroy(IntPtr rk) => _destroy(rk);

    internal IntPtr MockClusterNew(IntPtr rk, int brokers) => _mockClusterNew(rk, brokers);

    internal void MockClusterDestroy(IntPtr cluster) => _mockClusterDestroy(cluster);

    internal string MockClusterBootstraps(IntPtr cluster) =>
        Marshal.PtrToStringUTF8(_mockClusterBootstraps(cluster)) ?? string.Empty;

    internal int MockTopicCreate(IntPtr cluster, string topic, int partitions, int replicationFactor)
    {
        using var t = new Utf8String(topic);
        return _mockTopicCreate(cluster, t.Pointer, partitions, replicationFactor);
    }

    internal int MockTopicDelete(IntPtr cluster, string topic)
    {
        using var t = new Utf8String(topic);
        return _mockTopicDelete(cluster, t.Pointer);
    }

    internal void MockTopicSetError(IntPtr cluster, string topic, int err)
    {
        using var t = new Utf8String(topic);
        _mockTopicSetError(cluster, t.Pointer, err);
    }

    internal int MockPartitionDeleteRecords(IntPtr cluster, string topic, int partition, long beforeOffset)
    {
        using var t = new Utf8String(topic);
        return _mockPartitionDeleteRecords(cluster, t.Pointer, partition, beforeOffset);
    }

    internal int MockPartitionSetLeader(IntPtr cluster, string topic, int partition, int brokerId)
    {
        using var t = new Utf8String(topic);
        return _mockPartitionSetLeader(cluster, t.Pointer, partition, brokerId);
    }

    internal int MockPartitionSetFollower(IntPtr cluster, string topic, int partition, int brokerId)
    {
        using var t = new Utf8String(topic);
        return _mockPartitionSetFollower(cluster, t.Pointer, partition, brokerId);
    }

    internal int MockBrokerSetDown(IntPtr cluster, int brokerId) => _mockBrokerSetDown(cluster, brokerId);

    internal int MockBrokerSetUp(IntPtr cluster, int brokerId) => _mockBrokerSetUp(cluster, brokerId);

    internal int MockBrokerSetRtt(IntPtr cluster, int brokerId, int rttMs) => _mockBrokerSetRtt(cluster, brokerId, rttMs);

    internal int MockCoordinatorSet(IntPtr cluster, string keyType, string key, int brokerId)
    {
        using var t = new Utf8String(keyType);
        using var k = new Utf8String(key);
        return _mockCoordinatorSet(cluster, t.Pointer, k.Pointer, brokerId);
    }

    internal void MockPushRequestErrors(IntPtr cluster, short apiKey, ReadOnlySpan<int> errors)
    {
        fixed (int* e = errors)
        {
            _mockPushRequestErrorsArray(cluster, apiKey, (nuint)errors.Length, e);
        }
    }

    internal void MockClearRequestErrors(IntPtr cluster, short apiKey) => _mockClearRequestErrors(cluster, apiKey);

    /// <summary>Pushes one partition-level error (variadic call with count 1).</summary>
    internal int MockPartitionPushRequestError(IntPtr cluster, string topic, int partition, short apiKey, int err)
    {
        using var t = new Utf8String(topic);
        return _mockPartitionPushRequestError(cluster, t.Pointer, partition, apiKey, 1, err);
    }

    /// <summary>Pushes one broker-level (error, rtt) tuple (variadic call with count 1).</summary>
    internal int MockBrokerPushRequestErrorRtt(IntPtr cluster, int brokerId, short apiKey, int err, int rttMs) =>
        _mockBrokerPushRequestErrorRtt(cluster, brokerId, apiKey, 1, err, rttMs);

    internal void MockGroupInitialRebalanceDelayMs(IntPtr cluster, int delayMs) =>
        _mockGroupInitialRebalanceDelayMs(cluster, delayMs);

    internal void MockStartRequestTracking(IntPtr cluster) => _mockStartRequestTracking(cluster);

    internal void MockStopRequestTracking(IntPtr cluster) => _mockStopRequestTracking(cluster);

    internal void MockClearRequests(IntPtr cluster) => _mockClearRequests(cluster);

    /// <summary>Copies the tracked requests out of the cluster and frees the native copies.</summary>
    internal List<(int BrokerId, short ApiKey, long TimestampMicros)> MockGetRequests(IntPtr cluster)
    {
        nuint count = 0;
        var array = _mockGetRequests(cluster, &count);
        var result = new List<(int, short, long)>((int)count);
        if (array == null)
        {
            return result;
        }

        try
        {
            for (nuint i = 0; i < count; i++)
            {
                var request = array[i];
                result.Add((_mockRequestId(request), _mockRequestApiKey(request), _mockRequestTimestamp(request)));
            }
        }
        finally
        {
            _mockRequestDestroyArray(array, count);
        }

        return result;
    }

    /// <summary>A NUL-terminated UTF-8 copy of a string in unmanaged memory.</summary>
    private readonly struct Utf8String : IDisposable
    {
        private readonly IntPtr _memory;

        public Utf8String(string value)
        {
            _memory = Marshal.StringToCoTaskMemUTF8(value);
        }

        public byte* Pointer => (byte*)_memory;

        public void Dispose() => Marshal.FreeCoTaskMem(_memory);
    }
}
