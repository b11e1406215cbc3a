using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;

namespace ActorStream.Kafka.Internal;

/// <summary>The type-independent part of <see cref="ConsumerSettings{TKey,TValue}"/> that the consumer thread needs.</summary>
internal sealed record ConsumerLoopOptions(
    IReadOnlyDictionary<string, string> ClientConfig,
    string GroupId,
    TimeSpan PollTimeout,
    int MaxBufferedPerPartition,
    TimeSpan StopTimeout,
    TimeSpan CloseTimeout,
    TimeSpan RevokeTimeout,
    bool PublishPartitionEvents,
    CommitRetrySettings CommitRetry,
    IPartitionEventHandler? Handler,
    OffsetOutOfRangePolicy OffsetOutOfRange = OffsetOutOfRangePolicy.Reset,
    TimeSpan UnknownTopicTimeout = default)
{
    public static ConsumerLoopOptions From<TKey, TValue>(ConsumerSettings<TKey, TValue> s) =>
        new(s.ToClientConfig(), s.GroupId, s.PollTimeout, s.MaxBufferedPerPartition, s.StopTimeout, s.CloseTimeout,
            s.RevokeTimeout, s.PublishPartitionEvents, s.CommitRetry, s.PartitionEventHandler, s.OffsetOutOfRange, s.UnknownTopicTimeout);
}
