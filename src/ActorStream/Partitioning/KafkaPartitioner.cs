using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ActorStream.Partitioning;

/// <summary>
/// The partition Kafka producers choose for a keyed record: the Java client's default partitioner and
/// librdkafka's <c>murmur2</c> / <c>murmur2_random</c> partitioners, <c>(murmur2(key) &amp; 0x7fffffff) % partitions</c>.
/// ActorStream uses it as the shard id of an entity key (shard = Kafka partition), so an entity lives where the
/// partition holding its records is consumed.
/// </summary>
/// <remarks>
/// Only for records with a key: producers spread records without a key (null) over partitions by other rules
/// (Java: sticky; librdkafka <c>murmur2_random</c>: random). An empty key is a key and is hashed. Keys must be
/// hashed as the bytes the producer's key serializer writes; <see cref="PartitionFor(string, int)"/> assumes UTF-8
/// (Confluent.Kafka's and Java's default string serializers).
/// </remarks>
public static class KafkaPartitioner
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;
    private const int StackKeyLimit = 256;

    /// <summary>The partition of a record with the given serialized key.</summary>
    /// <param name="keyBytes">The key as serialized by the producer.</param>
    /// <param name="partitionCount">The topic's partition count, 1 or more.</param>
    /// <returns>A partition between 0 and <paramref name="partitionCount"/> - 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    public static int PartitionFor(ReadOnlySpan<byte> keyBytes, int partitionCount)
    {
        ValidatePartitionCount(partitionCount);
        return (Murmur2(keyBytes) & 0x7fffffff) % partitionCount;
    }

    /// <summary>The partition of a record with the given string key, serialized as UTF-8.</summary>
    /// <param name="key">The key.</param>
    /// <param name="partitionCount">The topic's partition count, 1 or more.</param>
    /// <returns>A partition between 0 and <paramref name="partitionCount"/> - 1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null (records without a key are not hashed).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    public static int PartitionFor(string key, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        ValidatePartitionCount(partitionCount);

        var maxBytes = Encoding.UTF8.GetMaxByteCount(key.Length);
        if (maxBytes <= StackKeyLimit)
        {
            Span<byte> buffer = stackalloc byte[StackKeyLimit];
            var written = Encoding.UTF8.GetBytes(key, buffer);
            return PartitionFor(buffer[..written], partitionCount);
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(key));
        try
        {
            var written = Encoding.UTF8.GetBytes(key, rented);
            return PartitionFor(rented.AsSpan(0, written), partitionCount);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Kafka's 32-bit murmur2 (seed <c>0x9747b28c</c>), bit for bit the Java client's <c>Utils.murmur2</c> and
    /// librdkafka's <c>rd_murmur2</c>.
    /// </summary>
    internal static int Murmur2(ReadOnlySpan<byte> data)
    {
        unchecked
        {
            var length = data.Length;
            var h = Seed ^ (uint)length;
            var blocks = length & ~3;
            for (var i = 0; i < blocks; i += 4)
            {
                var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4));
                k *= M;
                k ^= k >> R;
                k *= M;
                h *= M;
                h ^= k;
            }

            switch (length & 3)
            {
                case 3:
                    h ^= (uint)data[blocks + 2] << 16;
                    h ^= (uint)data[blocks + 1] << 8;
                    h ^= data[blocks];
                    h *= M;
                    break;
                case 2:
                    h ^= (uint)data[blocks + 1] << 8;
                    h ^= data[blocks];
                    h *= M;
                    break;
                case 1:
                    h ^= data[blocks];
                    h *= M;
                    break;
            }

            h ^= h >> 13;
            h *= M;
            h ^= h >> 15;
            return (int)h;
        }
    }

    private static void ValidatePartitionCount(int partitionCount)
    {
        if (partitionCount < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(partitionCount), partitionCount, "A topic has at least one partition: partitionCount must be 1 or more.");
        }
    }
}
