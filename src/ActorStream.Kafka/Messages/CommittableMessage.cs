using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>A consumed record together with the offset to commit once it has been processed.</summary>
/// <typeparam name="TKey">Record key type.</typeparam>
/// <typeparam name="TValue">Record value type.</typeparam>
/// <param name="Record">The consumed record (topic, partition, offset, key, value, headers, timestamp).</param>
/// <param name="CommittableOffset">Commit this after processing the record.</param>
public sealed record CommittableMessage<TKey, TValue>(ConsumeResult<TKey, TValue> Record, CommittableOffset CommittableOffset);
