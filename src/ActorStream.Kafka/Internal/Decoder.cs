using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// A key or value deserializer that is either synchronous (applied on the stream thread) or
/// asynchronous (schema-registry serdes: applied with ordered async mapping). The consumer thread
/// always fetches raw bytes, so a slow or failing deserializer never stalls polling.
/// </summary>
internal sealed class Decoder<T>
{
    private readonly IDeserializer<T>? _sync;
    private readonly IAsyncDeserializer<T>? _async;

    private Decoder(IDeserializer<T>? sync, IAsyncDeserializer<T>? async)
    {
        _sync = sync;
        _async = async;
    }

    public bool IsAsync => _async is not null;

    public static Decoder<T> Sync(IDeserializer<T> d) => new(d, null);

    public static Decoder<T> Async(IAsyncDeserializer<T> d) => new(null, d);

    public static Decoder<T>? Default()
    {
        object? d = typeof(T) switch
        {
            var t when t == typeof(byte[]) => Deserializers.ByteArray,
            var t when t == typeof(string) => Deserializers.Utf8,
            var t when t == typeof(Ignore) => Deserializers.Ignore,
            var t when t == typeof(Null) => Deserializers.Null,
            var t when t == typeof(int) => Deserializers.Int32,
            var t when t == typeof(long) => Deserializers.Int64,
            var t when t == typeof(float) => Deserializers.Single,
            var t when t == typeof(double) => Deserializers.Double,
            _ => null,
        };
        return d is IDeserializer<T> typed ? Sync(typed) : null;
    }

    public T Decode(byte[]? data, SerializationContext context) =>
        _sync!.Deserialize(data is null ? ReadOnlySpan<byte>.Empty : data, data is null, context);

    public Task<T> DecodeAsync(byte[]? data, SerializationContext context) =>
        _async is not null
            ? _async.DeserializeAsync(data is null ? ReadOnlyMemory<byte>.Empty : data, data is null, context)
            : Task.FromResult(Decode(data, context));
}
