using Akka.Configuration;
using ActorStream.Pipelines.Settings;
using ActorStream.Topics;

namespace ActorStream.Tests.Topics;

public class TopicDeclarationsTests
{
    private static readonly PipelineSettings Accounts = new PipelineSettingsBuilder("accounts")
        .Topic("accounts").Entity("Account").EmitTo("accounts.balances").Build();

    [Fact]
    public void Declared_topics_fall_back_to_the_defaults_key_by_key()
    {
        var topics = TopicDeclarations.FromConfig(ConfigurationFactory.ParseString("""
            actorstream.topic-defaults { partitions = 6, retention = 3d }
            actorstream.topics {
              accounts { partitions = 12, min-insync-replicas = 2, replication-factor = 3 }
              "accounts.balances" { cleanup-policy = "compact,delete", configs { "max.message.bytes" = 2097152 } }
            }
            """), [Accounts]).ToDictionary(t => t.Name);

        var accounts = topics["accounts"];
        Assert.Equal((12, 3, TimeSpan.FromDays(3), "delete", (int?)2, TopicOrigin.Declared),
            (accounts.Partitions, accounts.ReplicationFactor, accounts.Retention!.Value, accounts.CleanupPolicy, accounts.MinInsyncReplicas, accounts.Origin));
        var balances = topics["accounts.balances"];
        Assert.Equal(6, balances.Partitions);
        Assert.Equal("compact,delete", balances.CleanupPolicy);
        Assert.Equal("2097152", balances.BrokerConfigs()["max.message.bytes"]);
        Assert.Equal("259200000", balances.BrokerConfigs()["retention.ms"]);
    }

    [Fact]
    public void An_undeclared_dead_letter_topic_gets_its_input_partitions_and_the_longer_dlq_retention()
    {
        var topics = TopicDeclarations.FromConfig(ConfigurationFactory.ParseString("""
            actorstream.topics.accounts { partitions = 12, retention = 1d }
            """), [Accounts]).ToDictionary(t => t.Name);

        var dlq = topics["accounts.dlq"];
        Assert.Equal(TopicOrigin.DerivedDeadLetter, dlq.Origin);
        Assert.Equal(12, dlq.Partitions);
        Assert.Equal(TimeSpan.FromDays(30), dlq.Retention);
        Assert.Equal("delete", dlq.CleanupPolicy);

        // The emitted topic is derived from the reference defaults.
        var balances = topics["accounts.balances"];
        Assert.Equal(TopicOrigin.Derived, balances.Origin);
        Assert.Equal(8, balances.Partitions);
        Assert.Equal(TimeSpan.FromDays(7), balances.Retention);
        Assert.Equal(["accounts", "accounts.balances", "accounts.dlq"], topics.Keys.Order());
    }

    [Fact]
    public void Infinite_retention_maps_to_minus_one()
    {
        var topic = TopicDeclarations.FromConfig(ConfigurationFactory.ParseString("actorstream.topics.audit { retention = infinite }"), []).Single();
        Assert.Null(topic.Retention);
        Assert.Equal("-1", topic.BrokerConfigs()["retention.ms"]);
    }

    [Theory]
    [InlineData("actorstream.topics.accounts { partitions = 0 }", "actorstream.topics.accounts.partitions", "must be a whole number >= 1")]
    [InlineData("actorstream.topics.accounts { partitions = many }", "actorstream.topics.accounts.partitions", "'many'")]
    [InlineData("actorstream.topics.accounts { cleanup-policy = compacted }", "actorstream.topics.accounts.cleanup-policy", "allowed values: delete, compact, compact,delete")]
    [InlineData("actorstream.topics.accounts { retention = soon }", "actorstream.topics.accounts.retention", "a duration such as 7d")]
    [InlineData("actorstream.topics.accounts { partitons = 3 }", "actorstream.topics.accounts.partitons", "unknown key; known keys: partitions")]
    [InlineData("actorstream.topics.accounts { replication-factor = 2, min-insync-replicas = 3 }", "actorstream.topics.accounts.min-insync-replicas", "exceeds replication-factor 2")]
    [InlineData("actorstream.topics.\"acc ounts\" { partitions = 3 }", "actorstream.topics.acc ounts", "not a valid topic name")]
    [InlineData("actorstream.topics.accounts { keyed = maybe }", "actorstream.topics.accounts.keyed", "must be on or off")]
    [InlineData("actorstream.topic-defaults.partitions = -2", "actorstream.topic-defaults.partitions", ">= 1")]
    public void Invalid_declarations_name_the_key(string hocon, string path, string problem)
    {
        var error = Assert.Throws<TopicConfigurationException>(() => TopicDeclarations.FromConfig(ConfigurationFactory.ParseString(hocon), [Accounts]));
        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_topic_with_dots_is_named_quoted_in_errors()
    {
        var error = Assert.Throws<TopicConfigurationException>(() => TopicDeclarations.FromConfig(
            ConfigurationFactory.ParseString("actorstream.topics.\"accounts.dlq\" { partitions = x }"), []));
        Assert.StartsWith("actorstream.topics.\"accounts.dlq\".partitions:", error.Message);
    }
}
