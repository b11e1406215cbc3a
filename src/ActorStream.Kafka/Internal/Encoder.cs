using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// A key or value serializer that is synchronous or asynchronous. The producer stage serializes
/// itself and hands bytes to the client in input order: Confluent's own ProduceAsync awaits an async
/// serializer before enqueueing, so concurrent calls could reach the broker reordered.
/// </summary>
internal sealed class Encoder<T>
{
    private readonly ISerializer<T>? _sync;
    private readonly IAsyncSerializer<T>? _async;

    private Encoder(ISerializer<T>? sync, IAsyncSerializer<T>? async)
    {
        _sync = sync;
        _async = async;
    }

    public bool IsAsync => _async is not null;

    public static Encoder<T> Sync(ISerializer<T> s) => new(s, null);

    public static Encoder<T> Async(IAsyncSerializer<T> s) => new(null, s);

    public static Encoder<T>? Default()
    {
        object? s = typeof(T) switch
        {
            var t when t == typeof(byte[]) => Serializers.ByteArray,
            var t when t == typeof(string) => Serializers.Utf8,
            var t when t == typeof(Null) => Serializers.Null,
            var t when t == typeof(int) => Serializers.Int32,
            var t when t == typeof(long) => Serializers.Int64,
            var t when t == typeof(float) => Serializers.Single,
            var t when t == typeof(double) => Serializers.Double,
            _ => null,
        };
        return s is ISerializer<T> typed ? Sync(typed) : null;
    }

    public byte[]? Encode(T data, SerializationContext context) => _sync!.Serialize(data, context);

    public Task<byte[]> EncodeAsync(T data, SerializationContext context) =>
        _async is not null ? _async.SerializeAsync(data, context) : Task.FromResult(_sync!.Serialize(data, context));
}
