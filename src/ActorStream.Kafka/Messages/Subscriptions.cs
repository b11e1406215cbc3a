using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>What a source consumes: topics through the consumer group, or a fixed assignment.</summary>
public abstract record Subscription
{
    private protected Subscription()
    {
    }

    /// <summary>Whether partitions come from the group protocol (and may be revoked).</summary>
    public abstract bool UsesGroup { get; }
}

/// <summary>Subscribe to topics by name; the group assigns partitions.</summary>
/// <param name="Topics">Topic names; a name starting with <c>^</c> is a regular expression.</param>
public sealed record TopicSubscription(IReadOnlyList<string> Topics) : Subscription
{
    /// <inheritdoc />
    public override bool UsesGroup => true;
}

/// <summary>Consume fixed partitions, without group membership.</summary>
/// <param name="Partitions">Partitions with optional start offsets (<see cref="Offset.Unset"/> = committed or auto.offset.reset).</param>
public sealed record AssignmentSubscription(IReadOnlyList<TopicPartitionOffset> Partitions) : Subscription
{
    /// <inheritdoc />
    public override bool UsesGroup => false;
}

/// <summary>Factory for <see cref="Subscription"/>s.</summary>
public static class Subscriptions
{
    /// <summary>Subscribe to <paramref name="topics"/> through the consumer group.</summary>
    /// <exception cref="ArgumentException">No topic or an empty topic name.</exception>
    public static TopicSubscription Topics(params string[] topics)
    {
        if (topics.Length == 0 || topics.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("at least one non-empty topic name is required", nameof(topics));
        }

        return new TopicSubscription(topics);
    }

    /// <summary>Consume the given partitions from their committed offsets (or auto.offset.reset).</summary>
    public static AssignmentSubscription Assignment(params TopicPartition[] partitions) =>
        new(partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)).ToList());

    /// <summary>Consume the given partitions from explicit offsets.</summary>
    public static AssignmentSubscription AssignmentWithOffset(params TopicPartitionOffset[] partitions) => new(partitions);
}
