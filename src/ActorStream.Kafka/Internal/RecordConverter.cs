using ActorStream.Kafka.Messages;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>Turns raw fetched records into typed ones with the source's deserializers.</summary>
internal sealed class RecordConverter<TKey, TValue>
{
    private readonly Decoder<TKey> _key;
    private readonly Decoder<TValue> _value;
    private readonly string _groupId;

    public RecordConverter(Decoder<TKey> key, Decoder<TValue> value, string groupId)
    {
        _key = key;
        _value = value;
        _groupId = groupId;
    }

    public bool IsAsync => _key.IsAsync || _value.IsAsync;

    public ConsumeResult<TKey, TValue> ToResult(RawRecord raw)
    {
        var r = raw.Record;
        TKey key;
        TValue value;
        try
        {
            key = _key.Decode(r.Message.Key, new SerializationContext(MessageComponentType.Key, r.Topic, r.Message.Headers));
        }
        catch (Exception ex)
        {
            throw new KafkaDeserializationException(r, MessageComponentType.Key, ex);
        }

        try
        {
            value = _value.Decode(r.Message.Value, new SerializationContext(MessageComponentType.Value, r.Topic, r.Message.Headers));
        }
        catch (Exception ex)
        {
            throw new KafkaDeserializationException(r, MessageComponentType.Value, ex);
        }

        return Build(r, key, value);
    }

    public async Task<ConsumeResult<TKey, TValue>> ToResultAsync(RawRecord raw)
    {
        var r = raw.Record;
        TKey key;
        TValue value;
        try
        {
            key = await _key.DecodeAsync(r.Message.Key, new SerializationContext(MessageComponentType.Key, r.Topic, r.Message.Headers)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new KafkaDeserializationException(r, MessageComponentType.Key, ex);
        }

        try
        {
            value = await _value.DecodeAsync(r.Message.Value, new SerializationContext(MessageComponentType.Value, r.Topic, r.Message.Headers)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new KafkaDeserializationException(r, MessageComponentType.Value, ex);
        }

        return Build(r, key, value);
    }

    public CommittableOffset Offset(RawRecord raw) =>
        new(raw.Loop, raw.Record.TopicPartition, raw.Record.Offset.Value, raw.Lease.AssignmentEpoch, _groupId);

    private static ConsumeResult<TKey, TValue> Build(ConsumeResult<byte[], byte[]> r, TKey key, TValue value) => new()
    {
        TopicPartitionOffset = r.TopicPartitionOffset,
        Message = new Message<TKey, TValue> { Key = key, Value = value, Timestamp = r.Message.Timestamp, Headers = r.Message.Headers },
        IsPartitionEOF = false,
        LeaderEpoch = r.LeaderEpoch,
    };
}
