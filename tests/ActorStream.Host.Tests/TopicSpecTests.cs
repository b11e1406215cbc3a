using ActorStream.Host.Kafka;
using Xunit;

namespace ActorStream.Host.Tests;

public sealed class TopicSpecTests
{
    [Theory]
    [InlineData("orders:3", "orders", 3, 1)]
    [InlineData("a.b_c-d:1:2", "a.b_c-d", 1, 2)]
    public void TryParse_ValidSpecs(string text, string name, int partitions, int replicationFactor)
    {
        var spec = TopicSpec.TryParse(text, out var error);

        Assert.Null(error);
        Assert.Equal(new TopicSpec(name, partitions, replicationFactor), spec);
    }

    [Theory]
    [InlineData("orders", "not a topic spec")]
    [InlineData(":3", "empty")]
    [InlineData("orders:", "partitions ''")]
    [InlineData("orders:-1", "partitions '-1'")]
    [InlineData("orders:+1", "partitions '+1'")]
    [InlineData("orders:1:0", "replication factor '0'")]
    [InlineData("orders:1:2:3", "not a topic spec")]
    [InlineData("or ders:1", "' '")]
    public void TryParse_InvalidSpecs_ExplainWhatIsExpected(string text, string expected)
    {
        var spec = TopicSpec.TryParse(text, out var error);

        Assert.Null(spec);
        Assert.NotNull(error);
        Assert.Contains(expected, error);
        Assert.Contains("name:partitions", error);
    }
}
