using System.Text;
using ActorStream.Partitioning;
using CsCheck;

namespace ActorStream.Tests.Partitioning;

public class KafkaPartitionerTests
{
    [Theory]
    // Kafka's own test of Utils.murmur2 (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    // librdkafka's unit test of rd_murmur2 (src/rdmurmur2.c), "java_murmur2_results": every tail length 0..3.
    [InlineData("kafka", unchecked((int)0xd067cf64))]
    [InlineData("giberish123456789", unchecked((int)0x8f552b0c))]
    [InlineData("1234", unchecked((int)0x9fc97b14))]
    [InlineData("234", unchecked((int)0xe7c009ca))]
    [InlineData("34", unchecked((int)0x873930da))]
    [InlineData("4", unchecked((int)0x5a4b5ca1))]
    [InlineData("PreAmbleWillBeRemoved,ThePrePartThatIs", unchecked((int)0x78424f1c))]
    [InlineData("reAmbleWillBeRemoved,ThePrePartThatIs", unchecked((int)0x4a62b377))]
    [InlineData("eAmbleWillBeRemoved,ThePrePartThatIs", unchecked((int)0xe0e4e09e))]
    [InlineData("AmbleWillBeRemoved,ThePrePartThatIs", unchecked((int)0x62b8b43f))]
    [InlineData("", unchecked((int)0x106e08d9))]
    public void Murmur2_matches_the_Java_client_and_librdkafka(string key, int expected)
    {
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public void Partition_is_the_positive_hash_modulo_the_partition_count()
    {
        // murmur2("21") is negative: the sign bit is masked off, not Math.Abs'ed.
        const int hash = -973932308;
        Assert.Equal((hash & 0x7fffffff) % 7, KafkaPartitioner.PartitionFor("21", 7));
        Assert.Equal((hash & 0x7fffffff) % 100, KafkaPartitioner.PartitionFor("21"u8, 100));
        Assert.Equal(0, KafkaPartitioner.PartitionFor("21", 1));
        Assert.Equal(479470107 % 8, KafkaPartitioner.PartitionFor("abc", 8));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Partition_count_below_one_is_rejected(int partitionCount)
    {
        var fromString = Assert.Throws<ArgumentOutOfRangeException>(() => KafkaPartitioner.PartitionFor("key", partitionCount));
        var fromBytes = Assert.Throws<ArgumentOutOfRangeException>(() => KafkaPartitioner.PartitionFor("key"u8, partitionCount));

        Assert.Equal("partitionCount", fromString.ParamName);
        Assert.Equal("partitionCount", fromBytes.ParamName);
        Assert.Contains("1 or more", fromString.Message);
    }

    [Fact]
    public void Null_string_key_is_rejected()
    {
        var error = Assert.Throws<ArgumentNullException>(() => KafkaPartitioner.PartitionFor((string)null!, 3));
        Assert.Equal("key", error.ParamName);
    }

    [Fact]
    public void String_keys_hash_as_their_UTF8_bytes_and_land_in_range()
    {
        // Short keys go through a stack buffer, long ones through a pooled array; both must agree with the bytes.
        var genKey = Gen.Frequency(
            (3, Gen.String),
            (1, Gen.String[Gen.Char, 60, 2_000]),
            (1, Gen.String[Gen.Char['\u0100', '\uffff'], 0, 200]));
        Gen.Select(genKey, Gen.Int[1, 10_000]).Sample((key, partitions) =>
        {
            var partition = KafkaPartitioner.PartitionFor(key, partitions);
            Assert.Equal(KafkaPartitioner.PartitionFor(Encoding.UTF8.GetBytes(key), partitions), partition);
            Assert.InRange(partition, 0, partitions - 1);
        }, iter: 2_000);
    }
}
