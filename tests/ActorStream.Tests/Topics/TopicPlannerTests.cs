using ActorStream.Topics;

namespace ActorStream.Tests.Topics;

public class TopicPlannerTests
{
    private static TopicSettings Declared(string name, int partitions = 8, bool keyed = true, int replication = -1, TimeSpan? retention = null, string cleanup = "delete") =>
        new(name, partitions, replication, retention ?? TimeSpan.FromDays(7), cleanup, null, keyed, new Dictionary<string, string>(), TopicOrigin.Declared);

    private static ClusterTopic Actual(string name, int partitions = 8, int replication = 1, Dictionary<string, string>? configs = null) =>
        new(name, partitions, replication, configs ?? new Dictionary<string, string> { ["cleanup.policy"] = "delete", ["retention.ms"] = "604800000" });

    private static TopicPlan Plan(TopicSettings declared, ClusterTopic? actual) =>
        TopicPlanner.Plan([declared], actual is null ? new Dictionary<string, ClusterTopic>() : new Dictionary<string, ClusterTopic> { [actual.Name] = actual });

    [Fact]
    public void A_matching_cluster_is_in_sync()
    {
        var plan = Plan(Declared("orders"), Actual("orders"));
        Assert.True(plan.InSync);
        Assert.Empty(plan.Notes);
    }

    [Fact]
    public void A_missing_topic_is_created()
    {
        var change = Assert.Single(Plan(Declared("orders", partitions: 12), null).Changes);
        Assert.Equal(TopicChangeKind.Create, change.Kind);
        Assert.True(change.Applicable);
        Assert.False(change.Dangerous);
        Assert.Contains("12 partitions", change.Description);
        Assert.Contains("retention.ms=604800000", change.Description);
    }

    [Fact]
    public void Adding_partitions_to_a_keyed_topic_is_dangerous()
    {
        var change = Assert.Single(Plan(Declared("orders", partitions: 12), Actual("orders", partitions: 8)).Changes);
        Assert.Equal(TopicChangeKind.AddPartitions, change.Kind);
        Assert.True(change.Dangerous);
        Assert.Contains("partitions 8 → 12", change.Description);
        Assert.Contains("per-key order", change.Description);
    }

    [Fact]
    public void Adding_partitions_to_an_unkeyed_topic_is_plain()
    {
        var change = Assert.Single(Plan(Declared("logs", partitions: 12, keyed: false), Actual("logs", partitions: 8)).Changes);
        Assert.Equal(TopicChangeKind.AddPartitions, change.Kind);
        Assert.False(change.Dangerous);
    }

    [Fact]
    public void Partitions_are_never_lowered()
    {
        var change = Assert.Single(Plan(Declared("orders", partitions: 4), Actual("orders", partitions: 8)).Changes);
        Assert.Equal(TopicChangeKind.PartitionsAboveDeclared, change.Kind);
        Assert.False(change.Applicable);
        Assert.Contains("cannot remove partitions; declare 8", change.Description);
    }

    [Fact]
    public void Replication_differences_are_reported_not_applied_and_broker_default_matches_anything()
    {
        var change = Assert.Single(Plan(Declared("orders", replication: 3), Actual("orders", replication: 1)).Changes);
        Assert.Equal(TopicChangeKind.ReplicationDiffers, change.Kind);
        Assert.False(change.Applicable);
        Assert.True(Plan(Declared("orders", replication: -1), Actual("orders", replication: 3)).InSync);
    }

    [Fact]
    public void Config_differences_become_set_config_changes()
    {
        var plan = Plan(Declared("orders", retention: TimeSpan.FromDays(30), cleanup: "compact,delete"),
            Actual("orders", configs: new Dictionary<string, string> { ["cleanup.policy"] = "delete", ["retention.ms"] = "604800000" }));
        Assert.Equal(2, plan.Changes.Count);
        Assert.All(plan.Changes, c => Assert.Equal(TopicChangeKind.SetConfig, c.Kind));
        Assert.Contains(plan.Changes, c => c.ConfigKey == "retention.ms" && c.ConfigValue == "2592000000" && c.Description == "retention.ms 604800000 → 2592000000");
        Assert.Contains(plan.Changes, c => c.ConfigKey == "cleanup.policy" && c.ConfigValue == "compact,delete");
    }

    [Fact]
    public void Cleanup_policy_order_does_not_matter()
    {
        Assert.True(Plan(Declared("orders", cleanup: "compact,delete"),
            Actual("orders", configs: new Dictionary<string, string> { ["cleanup.policy"] = "delete,compact", ["retention.ms"] = "604800000" })).InSync);
    }

    [Fact]
    public void A_broker_that_does_not_describe_configs_gives_a_note_not_a_change()
    {
        var plan = Plan(Declared("orders"), new ClusterTopic("orders", 8, 1, null));
        Assert.True(plan.InSync);
        Assert.Contains("orders: the broker does not describe topic configs", Assert.Single(plan.Notes));
    }
}
