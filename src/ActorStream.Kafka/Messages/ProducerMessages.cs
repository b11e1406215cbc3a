using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>A record to produce.</summary>
/// <typeparam name="TKey">Key type.</typeparam>
/// <typeparam name="TValue">Value type.</typeparam>
/// <param name="Topic">Target topic.</param>
/// <param name="Key">Record key (decides the partition unless <paramref name="Partition"/> is set).</param>
/// <param name="Value">Record value.</param>
/// <param name="Headers">Headers, or null for none.</param>
/// <param name="Partition">Explicit partition, or null to let the partitioner choose.</param>
public sealed record ProducerRecord<TKey, TValue>(string Topic, TKey Key, TValue Value, Headers? Headers = null, int? Partition = null)
{
    internal Message<TKey, TValue> ToMessage() => new() { Key = Key, Value = Value, Headers = Headers };

    internal TopicPartition? ExplicitPartition => Partition is { } p ? new TopicPartition(Topic, new Partition(p)) : null;
}

/// <summary>
/// What a producer flow accepts: zero, one or several records, and a pass-through value (e.g. the
/// offset to commit) that comes out with the result once every record was acknowledged.
/// </summary>
/// <typeparam name="TKey">Key type.</typeparam>
/// <typeparam name="TValue">Value type.</typeparam>
/// <typeparam name="TPassThrough">Context carried through.</typeparam>
public abstract record ProducerEnvelope<TKey, TValue, TPassThrough>(TPassThrough PassThrough)
{
    /// <summary>The records to produce (empty for a pass-through only envelope).</summary>
    public abstract IReadOnlyList<ProducerRecord<TKey, TValue>> Records { get; }
}

/// <summary>One record plus pass-through.</summary>
public sealed record SingleMessage<TKey, TValue, TPassThrough>(ProducerRecord<TKey, TValue> Record, TPassThrough PassThrough)
    : ProducerEnvelope<TKey, TValue, TPassThrough>(PassThrough)
{
    /// <inheritdoc />
    public override IReadOnlyList<ProducerRecord<TKey, TValue>> Records => [Record];
}

/// <summary>Several records plus one pass-through, emitted once all of them were acknowledged.</summary>
public sealed record MultiMessage<TKey, TValue, TPassThrough>(IReadOnlyList<ProducerRecord<TKey, TValue>> Messages, TPassThrough PassThrough)
    : ProducerEnvelope<TKey, TValue, TPassThrough>(PassThrough)
{
    /// <inheritdoc />
    public override IReadOnlyList<ProducerRecord<TKey, TValue>> Records => Messages;
}

/// <summary>No record; the pass-through is emitted in order with the others (e.g. to commit a filtered record).</summary>
public sealed record PassThroughMessage<TKey, TValue, TPassThrough>(TPassThrough PassThrough)
    : ProducerEnvelope<TKey, TValue, TPassThrough>(PassThrough)
{
    /// <inheritdoc />
    public override IReadOnlyList<ProducerRecord<TKey, TValue>> Records => [];
}

/// <summary>Factory for producer envelopes.</summary>
public static class ProducerMessage
{
    /// <summary>One record with a pass-through value.</summary>
    public static ProducerEnvelope<TKey, TValue, TPassThrough> Single<TKey, TValue, TPassThrough>(ProducerRecord<TKey, TValue> record, TPassThrough passThrough) =>
        new SingleMessage<TKey, TValue, TPassThrough>(record, passThrough);

    /// <summary>Several records with one pass-through value.</summary>
    public static ProducerEnvelope<TKey, TValue, TPassThrough> Multi<TKey, TValue, TPassThrough>(IReadOnlyList<ProducerRecord<TKey, TValue>> records, TPassThrough passThrough) =>
        new MultiMessage<TKey, TValue, TPassThrough>(records, passThrough);

    /// <summary>Only a pass-through value.</summary>
    public static ProducerEnvelope<TKey, TValue, TPassThrough> PassThrough<TKey, TValue, TPassThrough>(TPassThrough passThrough) =>
        new PassThroughMessage<TKey, TValue, TPassThrough>(passThrough);
}

/// <summary>
/// The outcome of one envelope: the broker's delivery reports (one per record, in record order;
/// empty for a pass-through envelope) and the pass-through value.
/// </summary>
/// <typeparam name="TKey">Key type.</typeparam>
/// <typeparam name="TValue">Value type.</typeparam>
/// <typeparam name="TPassThrough">Context carried through.</typeparam>
/// <param name="Deliveries">Delivery reports with the partition and offset each record got.</param>
/// <param name="PassThrough">The envelope's pass-through value.</param>
public sealed record ProducerResult<TKey, TValue, TPassThrough>(IReadOnlyList<DeliveryResult<TKey, TValue>> Deliveries, TPassThrough PassThrough);
