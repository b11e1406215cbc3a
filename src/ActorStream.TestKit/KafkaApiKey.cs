namespace ActorStream.TestKit;

/// <summary>
/// Kafka protocol request types (ApiKey), as used for fault injection and request tracking on
/// <see cref="EmbeddedKafka"/>.
/// </summary>
/// <remarks>
/// The librdkafka 2.16 mock broker serves: Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch,
/// FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup, ApiVersions, InitProducerId,
/// OffsetForLeaderEpoch, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, ConsumerGroupHeartbeat
/// (KIP-848), the telemetry and share-group APIs. It does NOT serve CreateTopics, DeleteRecords, DescribeGroups,
/// ListGroups or DescribeConfigs. With AdminClient 2.16, CreateTopics and DescribeConfigs time out, and
/// DeleteRecords and DescribeConsumerGroups fail with "feature not supported by broker". ListConsumerGroupsAsync
/// crashes the process (double free in librdkafka/Confluent.Kafka 2.16), so never call it against the mock. Use
/// <see cref="EmbeddedKafka.CreateTopic"/> and <see cref="EmbeddedKafka.DeleteRecords"/> instead.
/// </remarks>
public enum KafkaApiKey : short
{
    /// <summary>ProduceRequest (0).</summary>
    Produce = 0,

    /// <summary>FetchRequest (1).</summary>
    Fetch = 1,

    /// <summary>ListOffsetsRequest (2).</summary>
    ListOffsets = 2,

    /// <summary>MetadataRequest (3).</summary>
    Metadata = 3,

    /// <summary>OffsetCommitRequest (8).</summary>
    OffsetCommit = 8,

    /// <summary>OffsetFetchRequest (9).</summary>
    OffsetFetch = 9,

    /// <summary>FindCoordinatorRequest (10).</summary>
    FindCoordinator = 10,

    /// <summary>JoinGroupRequest (11).</summary>
    JoinGroup = 11,

    /// <summary>HeartbeatRequest (12).</summary>
    Heartbeat = 12,

    /// <summary>LeaveGroupRequest (13).</summary>
    LeaveGroup = 13,

    /// <summary>SyncGroupRequest (14).</summary>
    SyncGroup = 14,

    /// <summary>DescribeGroupsRequest (15); not served by the mock broker.</summary>
    DescribeGroups = 15,

    /// <summary>ListGroupsRequest (16); not served by the mock broker.</summary>
    ListGroups = 16,

    /// <summary>ApiVersionsRequest (18).</summary>
    ApiVersions = 18,

    /// <summary>CreateTopicsRequest (19); not served by the mock broker.</summary>
    CreateTopics = 19,

    /// <summary>DeleteRecordsRequest (21); not served by the mock broker.</summary>
    DeleteRecords = 21,

    /// <summary>InitProducerIdRequest (22).</summary>
    InitProducerId = 22,

    /// <summary>OffsetForLeaderEpochRequest (23).</summary>
    OffsetForLeaderEpoch = 23,

    /// <summary>AddPartitionsToTxnRequest (24).</summary>
    AddPartitionsToTxn = 24,

    /// <summary>AddOffsetsToTxnRequest (25).</summary>
    AddOffsetsToTxn = 25,

    /// <summary>EndTxnRequest (26).</summary>
    EndTxn = 26,

    /// <summary>TxnOffsetCommitRequest (28).</summary>
    TxnOffsetCommit = 28,

    /// <summary>DescribeConfigsRequest (32); not served by the mock broker.</summary>
    DescribeConfigs = 32,

    /// <summary>ConsumerGroupHeartbeatRequest (68, KIP-848 consumer protocol).</summary>
    ConsumerGroupHeartbeat = 68,
}
