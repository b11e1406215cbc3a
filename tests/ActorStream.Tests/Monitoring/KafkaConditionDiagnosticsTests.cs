using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using ActorStream.Monitoring;
using ActorStream.Monitoring.Internal;
using ActorStream.Pipelines.Settings;
using Confluent.Kafka;

namespace ActorStream.Tests.Monitoring;

/// <summary>The texts and time rules of the offsets-skipped alert and the serialization diagnostic (pure, no broker).</summary>
public class KafkaConditionDiagnosticsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(OutOfRangeDetection.Assignment, "committed offset 12 of orders[3] was outside its log [50, 110); policy earliest: 38 offset(s) skipped, never processed; consumption continued at 50")]
    [InlineData(OutOfRangeDetection.Fetch, "fetch position 12 of orders[3] fell outside its log [50, 110) while the pipeline was reading (records deleted before it reached them); policy earliest: 38 offset(s) skipped, never processed; consumption continued at 50")]
    public void The_offsets_skipped_alert_says_where_the_offset_came_from_and_how_many_were_skipped(OutOfRangeDetection detectedAt, string expected)
    {
        var settings = new MonitoringSettings { LagAboveThreshold = 0, LagGrowingFor = null, StalledPartition = false, StuckKeyOlderThan = null };
        var lag = new LagTracker(settings, "orders", "orders-group").Observe(T0, [new PartitionOffsets("orders", 3, 60, 110)], 0);
        var skip = new OffsetsSkipped("c-1", "orders-group", new TopicPartition("orders", 3), 12, 50, 110, 50, 38, OffsetOutOfRangePolicy.Earliest, detectedAt);

        var (fired, _) = new AlertEvaluator(settings).Evaluate(lag, [], T0, skips: [(skip, T0)]);

        var alert = Assert.Single(fired);
        Assert.Equal(("offsets-skipped/orders/orders/3", AlertRule.OffsetsSkipped), (alert.Id, alert.Rule));
        Assert.Contains(expected, alert.Message);
    }

    [Fact]
    public void Unreadable_records_are_summed_per_pipeline_and_topic_within_the_window_with_the_last_error()
    {
        var records = new UnreadableRecords(TimeSpan.FromMinutes(5));
        records.Add(Record("accounts", 0, 7, "schema", "no magic byte"), T0);
        records.Add(Record("accounts", 1, 8, "deserialize", "bad json"), T0.AddMinutes(1));
        records.Add(Record("other", 0, 1, "schema", "x"), T0.AddMinutes(1));
        var (id, condition, fix) = records.Add(Record("accounts", 2, 9, "schema", "property 'amount' is required"), T0.AddMinutes(2));

        Assert.Equal("serialization/p/accounts", id);
        Assert.Equal("pipeline p: 3 record(s) of topic accounts could not be read and were dead-lettered to accounts.dlq within the last 5 min (deserialize 1, schema 2); " +
            "last: accounts[2]@9, stage schema, ActorStream.SchemaValidation: property 'amount' is required", condition);
        Assert.Contains("`actorstream schemas check --subject accounts-value --file <producer schema>`", fix);
        Assert.Contains("compatibility level", fix);
        Assert.Contains("`actorstream dlq list --topic accounts.dlq`", fix);

        // Records older than the window no longer count.
        var (_, later, _) = records.Add(Record("accounts", 0, 10, "schema", "again"), T0.AddMinutes(6.5));
        Assert.Contains("2 record(s) of topic accounts", later);
    }

    [Fact]
    public void A_condition_ends_after_a_whole_window_without_unreadable_records()
    {
        var records = new UnreadableRecords(TimeSpan.FromMinutes(5));
        records.Add(Record("accounts", 0, 7, "schema", "x"), T0);
        records.Add(Record("other", 0, 7, "schema", "x"), T0.AddMinutes(3));

        Assert.Empty(records.Expire(T0.AddMinutes(4)));
        Assert.Equal(["serialization/p/accounts"], records.Expire(T0.AddMinutes(5.1)));
        Assert.Equal(["serialization/p/other"], records.Expire(T0.AddMinutes(8.1)));
        Assert.Empty(records.Expire(T0.AddMinutes(20)));
    }

    [Fact]
    public void Without_a_schema_the_fix_points_at_putting_the_topic_under_schema_control()
    {
        var (_, _, fix) = new UnreadableRecords(TimeSpan.FromMinutes(5)).Add(Record("accounts", 0, 1, "deserialize", "bad json", ValueFormat.Json), T0);
        Assert.Contains("value-format = json-schema or json-validated with subject 'accounts-value' at compatibility level BACKWARD or stricter", fix);
    }

    private static UnreadableRecord Record(string topic, int partition, long offset, string stage, string message, ValueFormat format = ValueFormat.JsonSchema) =>
        new("p", topic, partition, offset, stage, stage == "schema" ? "ActorStream.SchemaValidation" : "System.Text.Json.JsonException", message, format, $"{topic}.dlq");
}
