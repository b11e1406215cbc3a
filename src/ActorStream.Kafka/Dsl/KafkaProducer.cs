using Akka;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Internal;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Dsl;

/// <summary>
/// Producer flows and sinks. By default the producer is idempotent with acks=all and the
/// murmur2_random partitioner (same key → partition mapping as the Java client). Each
/// materialization builds its own producer unless one is passed in to share.
/// </summary>
public static class KafkaProducer
{
    /// <summary>
    /// Produces every envelope's records and emits a <see cref="ProducerResult{TKey,TValue,TPassThrough}"/>
    /// with the delivery reports and the pass-through value, in input order, once all its records
    /// were acknowledged. A delivery failure fails the stream.
    /// </summary>
    /// <param name="settings">Producer settings.</param>
    /// <param name="producer">A producer to share (not disposed by the stage), or null to build one per materialization.</param>
    public static Flow<ProducerEnvelope<TKey, TValue, TPassThrough>, ProducerResult<TKey, TValue, TPassThrough>, NotUsed> FlexiFlow<TKey, TValue, TPassThrough>(
        ProducerSettings<TKey, TValue> settings, IProducer<TKey, TValue>? producer = null) =>
        Flow.FromGraph(new ProducerStage<TKey, TValue, TPassThrough>(settings, producer));

    /// <summary>Produces plain records; the task completes when all were acknowledged.</summary>
    public static Sink<ProducerRecord<TKey, TValue>, Task<Done>> PlainSink<TKey, TValue>(ProducerSettings<TKey, TValue> settings, IProducer<TKey, TValue>? producer = null) =>
        Flow.Create<ProducerRecord<TKey, TValue>>()
            .Select(r => ProducerMessage.Single(r, NotUsed.Instance))
            .Via(FlexiFlow<TKey, TValue, NotUsed>(settings, producer))
            .ToMaterialized(Sink.Ignore<ProducerResult<TKey, TValue, NotUsed>>(), Keep.Right);

    /// <summary>
    /// Produces, then commits each envelope's pass-through offset after the broker acknowledged
    /// its records (consume → transform → produce with at-least-once delivery).
    /// </summary>
    public static Sink<ProducerEnvelope<TKey, TValue, ICommittable>, Task<Done>> CommittableSink<TKey, TValue>(
        ProducerSettings<TKey, TValue> producerSettings, CommitterSettings committerSettings, IProducer<TKey, TValue>? producer = null) =>
        FlexiFlow<TKey, TValue, ICommittable>(producerSettings, producer)
            .Select(r => r.PassThrough)
            .ToMaterialized(Committer.Sink(committerSettings), Keep.Right);
}
