using Akka.Configuration;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Tests.Pipelines.Settings;

public class PipelineSettingsBuilderTests
{
    private static Config Parse(string hocon) => ConfigurationFactory.ParseString(hocon);

    [Fact]
    public void Builder_and_config_give_equal_settings_for_the_same_values()
    {
        var fromConfig = PipelineSettings.FromConfig(Parse("""
            actorstream.pipelines.accounts {
              topic = "accounts"
              group-id = "g"
              entity = "Account"
              dlq-topic = "accounts.failed"
              max-in-flight-per-partition = 64
              ack-timeout = 45s
              null-key-policy = dead-letter
              retry { max-attempts = 7, min-backoff = 50ms, max-backoff = 2s, random-factor = 0.5 }
              supervision {
                default = stop
                rules { "System.FormatException" = dead-letter, "System.IO.IOException" = retry }
              }
              emit-topics = ["accounts.balances"]
              emit-format = json-schema
            }
            """)).Single();

        var built = new PipelineSettingsBuilder("accounts")
            .Topic("accounts")
            .GroupId("g")
            .Entity("Account")
            .DlqTopic("accounts.failed")
            .MaxInFlightPerPartition(64)
            .AckTimeout(TimeSpan.FromSeconds(45))
            .Retry(7, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), 0.5)
            .OnException<FormatException>(SupervisionDecision.DeadLetter)
            .OnException<IOException>(SupervisionDecision.Retry)
            .DefaultDecision(SupervisionDecision.Stop)
            .NullKeyPolicy(NullKeyPolicy.DeadLetter)
            .EmitTo("accounts.balances")
            .EmitFormat(EmitFormat.JsonSchema)
            .Build();

        Assert.Equal(EmitFormat.JsonSchema, fromConfig.EmitFormat);
        Assert.NotEqual(built, built.WithEmitFormat(EmitFormat.Json));
        Assert.Equal(fromConfig, built);
        Assert.True(fromConfig == built);
        Assert.Equal(fromConfig.GetHashCode(), built.GetHashCode());
        Assert.Equal(fromConfig.ToString(), built.ToString());
    }

    [Fact]
    public void Builder_starts_from_the_reference_defaults()
    {
        var built = new PipelineSettingsBuilder("accounts").Topic("accounts").Entity("Account").Build();
        var fromConfig = PipelineSettings.FromConfig(Parse("actorstream.pipelines.accounts { topic = accounts, entity = Account }")).Single();

        Assert.Equal(fromConfig, built);
        Assert.Equal("accounts", built.GroupId);
        Assert.Equal("accounts.dlq", built.DlqTopic);
    }

    [Fact]
    public void Builder_can_start_from_the_application_defaults()
    {
        var app = Parse("""
            actorstream.pipeline-defaults {
              ack-timeout = 5s
              supervision.rules { "System.FormatException" = dead-letter }
            }
            actorstream.pipelines.orders { topics = [orders, returns], entity = Order }
            """);
        var built = new PipelineSettingsBuilder("orders", PipelineDefaults.Section(app))
            .Topics("orders", "returns")
            .Entity("Order")
            .Build();

        Assert.Equal(PipelineSettings.FromConfig(app).Single(), built);
        Assert.Equal(TimeSpan.FromSeconds(5), built.AckTimeout);
        Assert.Equal(SupervisionDecision.DeadLetter, built.Supervision.Decide(new FormatException()));
    }

    [Fact]
    public void Differing_lists_make_settings_unequal()
    {
        var b = new PipelineSettingsBuilder("p").Topics("a", "b").Entity("E");
        var ab = b.Build();
        Assert.NotEqual(ab, ab.WithTopics("b", "a"));
        Assert.NotEqual(ab, ab.WithEmitTopics("x"));
        Assert.Equal(ab, ab.WithEmitTopics("x").WithEmitTopics());
    }

    [Fact]
    public void Setters_validate_at_once_and_name_the_config_key()
    {
        var b = new PipelineSettingsBuilder("accounts");

        var inFlight = Assert.Throws<PipelineConfigurationException>(() => b.MaxInFlightPerPartition(-3));
        Assert.Equal("actorstream.pipelines.accounts.max-in-flight-per-partition: must be an integer >= 1, got -3", inFlight.Message);

        var retry = Assert.Throws<PipelineConfigurationException>(() => b.Retry(3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 0.1));
        Assert.Equal("retry.max-backoff", retry.Key);
        Assert.Equal("actorstream.pipelines.accounts.retry.max-backoff: must be >= min-backoff (2s), got 1s", retry.Message);

        Assert.Equal("topic", Assert.Throws<PipelineConfigurationException>(() => b.Topic("a b")).Key);
        Assert.Equal("topics", Assert.Throws<PipelineConfigurationException>(() => b.Topics()).Key);
        Assert.Equal("ack-timeout", Assert.Throws<PipelineConfigurationException>(() => b.AckTimeout(TimeSpan.Zero)).Key);
        Assert.Equal("null-key-policy", Assert.Throws<PipelineConfigurationException>(() => b.NullKeyPolicy((NullKeyPolicy)9)).Key);
        Assert.Equal("emit-topics", Assert.Throws<PipelineConfigurationException>(() => b.EmitTo("x", "x")).Key);
        Assert.Equal("supervision.rules.\" \"", Assert.Throws<PipelineConfigurationException>(() => b.OnException(" ", SupervisionDecision.Stop)).Key);
    }

    [Fact]
    public void Build_checks_required_and_cross_field_values()
    {
        Assert.Equal("topic", Assert.Throws<PipelineConfigurationException>(() => new PipelineSettingsBuilder("p").Entity("E").Build()).Key);
        Assert.Equal("entity", Assert.Throws<PipelineConfigurationException>(() => new PipelineSettingsBuilder("p").Topic("t").Build()).Key);

        var dlq = Assert.Throws<PipelineConfigurationException>(() =>
            new PipelineSettingsBuilder("p").Topics("t", "u").DlqTopic("u").Entity("E").Build());
        Assert.Equal("actorstream.pipelines.p.dlq-topic", dlq.Path);
        Assert.Contains("also an input topic", dlq.Message);

        var name = Assert.Throws<PipelineConfigurationException>(() => new PipelineSettingsBuilder("a/b"));
        Assert.Equal("a/b", name.Pipeline);
    }

    [Fact]
    public void OnException_replaces_an_earlier_rule_for_the_same_type()
    {
        var s = new PipelineSettingsBuilder("p").Topic("t").Entity("E")
            .OnException<FormatException>(SupervisionDecision.DeadLetter)
            .OnException("System.FormatException", SupervisionDecision.Stop)
            .Build();
        Assert.Equal([new SupervisionRule("System.FormatException", SupervisionDecision.Stop)], s.Supervision.Rules);
    }

    [Fact]
    public void With_methods_validate_and_leave_the_original_unchanged()
    {
        var s = new PipelineSettingsBuilder("accounts").Topic("accounts").Entity("Account").Build();

        var changed = s.WithMaxInFlightPerPartition(10).WithAckTimeout(TimeSpan.FromSeconds(1)).WithGroupId("g2")
            .WithEntity("Other").WithDlqTopic("x.dlq").WithNullKeyPolicy(NullKeyPolicy.DeadLetter)
            .WithRetry(new RetrySettings(1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 0))
            .WithSupervision(new SupervisionSettings(SupervisionDecision.Stop))
            .WithTopic("other").WithEmitTopics("out").WithName("renamed");

        Assert.Equal(1000, s.MaxInFlightPerPartition);
        Assert.Equal(10, changed.MaxInFlightPerPartition);
        Assert.Equal(TimeSpan.FromSeconds(1), changed.AckTimeout);
        Assert.Equal("g2", changed.GroupId);
        Assert.Equal("Other", changed.Entity);
        Assert.Equal("x.dlq", changed.DlqTopic);
        Assert.Equal(NullKeyPolicy.DeadLetter, changed.NullKeyPolicy);
        Assert.Equal(1, changed.Retry.MaxAttempts);
        Assert.Equal(SupervisionDecision.Stop, changed.Supervision.Default);
        Assert.Equal(["other"], changed.Topics);
        Assert.Equal(["out"], changed.EmitTopics);
        Assert.Equal("renamed", changed.Name);
        Assert.Equal("g2", changed.GroupId);

        var ex = Assert.Throws<PipelineConfigurationException>(() => s.WithMaxInFlightPerPartition(0));
        Assert.Equal("actorstream.pipelines.accounts.max-in-flight-per-partition: must be an integer >= 1, got 0", ex.Message);
        Assert.Equal("dlq-topic", Assert.Throws<PipelineConfigurationException>(() => s.WithTopics("accounts.dlq")).Key);
        Assert.Equal("dlq-topic", Assert.Throws<PipelineConfigurationException>(() => s.WithDlqTopic("accounts")).Key);
        Assert.Equal("group-id", Assert.Throws<PipelineConfigurationException>(() => s.WithGroupId("")).Key);
        Assert.Equal("entity", Assert.Throws<PipelineConfigurationException>(() => s.WithEntity(" ")).Key);
        Assert.Equal("ack-timeout", Assert.Throws<PipelineConfigurationException>(() => s.WithAckTimeout(TimeSpan.FromSeconds(-1))).Key);
    }

    [Fact]
    public void Lists_cannot_be_changed_through_the_settings()
    {
        var topics = new List<string> { "a" };
        var s = new PipelineSettingsBuilder("p").Topics(topics).Entity("E").Build();
        topics.Add("b");

        Assert.Equal(["a"], s.Topics);
        Assert.Throws<NotSupportedException>(() => ((IList<string>)s.Topics)[0] = "z");
    }

    [Fact]
    public void Keyless_records_use_the_documented_entity_id_and_error()
    {
        Assert.Equal("__partition-3", PipelineSettings.PartitionEntityId(3));
        Assert.Equal("record has no key", PipelineSettings.NoKeyErrorMessage);
    }
}
