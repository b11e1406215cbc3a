using Akka;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Internal;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Dsl;

/// <summary>
/// Kafka sources. Each materialization owns one Confluent consumer on a dedicated thread; records
/// of a partition are emitted in offset order, and once a partition is revoked no record of it is
/// emitted again. The materialized <see cref="IConsumerControl"/> stops and closes the consumer.
/// </summary>
public static class KafkaConsumer
{
    private const int AsyncDecodeParallelism = 16;

    /// <summary>
    /// Records without commit handles. Offsets are never committed, so on restart consumption
    /// starts from the group's committed offset (or auto.offset.reset). For at-least-once
    /// processing use <see cref="CommittableSource{TKey,TValue}"/>.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">Raised through the stream when settings are incomplete.</exception>
    public static Source<ConsumeResult<TKey, TValue>, IConsumerControl> PlainSource<TKey, TValue>(ConsumerSettings<TKey, TValue> settings, Subscription subscription)
    {
        var converter = Converter(settings, subscription, out var validate);
        if (!converter.IsAsync)
        {
            return Source.FromGraph(new ConsumerSourceStage<ConsumeResult<TKey, TValue>>(
                ConsumerLoopOptions.From(settings), subscription, converter.ToResult, commits: false, validate));
        }

        return Source.FromGraph(new ConsumerSourceStage<RawRecord>(ConsumerLoopOptions.From(settings), subscription, r => r, commits: false, validate))
            .SelectAsync(AsyncDecodeParallelism, async raw => (raw.Lease, Result: await converter.ToResultAsync(raw).ConfigureAwait(false)))
            .Where(x => !x.Lease.EmissionClosed)
            .Select(x => x.Result);
    }

    /// <summary>
    /// Records with the offset to commit after processing. Commit through
    /// <see cref="Committer.Sink"/> (batched) for at-least-once delivery.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">Raised through the stream when settings are incomplete (e.g. no group id).</exception>
    public static Source<CommittableMessage<TKey, TValue>, IConsumerControl> CommittableSource<TKey, TValue>(ConsumerSettings<TKey, TValue> settings, Subscription subscription)
    {
        var converter = Converter(settings, subscription, out var validate, requireGroup: true);
        if (!converter.IsAsync)
        {
            return Source.FromGraph(new ConsumerSourceStage<CommittableMessage<TKey, TValue>>(
                ConsumerLoopOptions.From(settings), subscription, raw => new CommittableMessage<TKey, TValue>(converter.ToResult(raw), converter.Offset(raw)), commits: true, validate));
        }

        return Source.FromGraph(new ConsumerSourceStage<RawRecord>(ConsumerLoopOptions.From(settings), subscription, r => r, commits: true, validate))
            .SelectAsync(AsyncDecodeParallelism, async raw => (raw.Lease, Message: new CommittableMessage<TKey, TValue>(await converter.ToResultAsync(raw).ConfigureAwait(false), converter.Offset(raw))))
            .Where(x => !x.Lease.EmissionClosed)
            .Select(x => x.Message);
    }

    /// <summary>
    /// One sub-source per assigned partition, emitted when the partition is assigned and completed
    /// when it is revoked or lost. Lets each partition be processed (and back-pressured) on its own.
    /// Cancelling a sub-source while its partition is assigned restarts the partition from its last
    /// committed offset and emits a fresh sub-source for it.
    /// </summary>
    /// <exception cref="KafkaConfigurationException">Raised through the stream when settings are incomplete.</exception>
    public static Source<(TopicPartition Partition, Source<CommittableMessage<TKey, TValue>, NotUsed> Records), IConsumerControl> CommittablePartitionedSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, Subscription subscription)
    {
        var converter = Converter(settings, subscription, out var validate, requireGroup: true);
        if (!converter.IsAsync)
        {
            return Source.FromGraph(new PartitionedSourceStage<CommittableMessage<TKey, TValue>>(
                ConsumerLoopOptions.From(settings), subscription, raw => new CommittableMessage<TKey, TValue>(converter.ToResult(raw), converter.Offset(raw)), validate));
        }

        return Source.FromGraph(new PartitionedSourceStage<RawRecord>(ConsumerLoopOptions.From(settings), subscription, r => r, validate))
            .Select(p => (p.Item1, p.Item2
                .SelectAsync(AsyncDecodeParallelism, async raw => (raw.Lease, Message: new CommittableMessage<TKey, TValue>(await converter.ToResultAsync(raw).ConfigureAwait(false), converter.Offset(raw))))
                .Where(x => !x.Lease.EmissionClosed)
                .Select(x => x.Message)));
    }

    private static RecordConverter<TKey, TValue> Converter<TKey, TValue>(ConsumerSettings<TKey, TValue> settings, Subscription subscription, out Action<Exception> validate, bool requireGroup = false)
    {
        var needGroup = requireGroup || subscription.UsesGroup;
        validate = _ => settings.Validate(needGroup);
        var key = settings.KeyDecoder ?? Decoder<TKey>.Sync(new MissingDeserializer<TKey>());
        var value = settings.ValueDecoder ?? Decoder<TValue>.Sync(new MissingDeserializer<TValue>());
        return new RecordConverter<TKey, TValue>(key, value, settings.GroupId);
    }

    /// <summary>Placeholder never used at run time: validation fails first with a keyed error.</summary>
    private sealed class MissingDeserializer<T> : IDeserializer<T>
    {
        public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            throw new InvalidOperationException($"No deserializer for {typeof(T).Name}");
    }
}
