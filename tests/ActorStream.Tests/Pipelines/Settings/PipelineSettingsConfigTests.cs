using Akka.Configuration;
using ActorStream.Pipelines.Settings;
using ActorStream.Pipelines.Settings.Internal;

namespace ActorStream.Tests.Pipelines.Settings;

public class PipelineSettingsConfigTests
{
    private static Config Parse(string hocon) => ConfigurationFactory.ParseString(hocon);

    private static PipelineSettings Accounts(string block, string extra = "") =>
        PipelineSettings.FromConfig(Parse($"actorstream.pipelines.accounts {{\n{block}\n}}\n{extra}")).Single();

    [Fact]
    public void Minimal_pipeline_gets_the_reference_defaults()
    {
        var s = Accounts("topic = accounts\nentity = Account");

        Assert.Equal("accounts", s.Name);
        Assert.Equal(["accounts"], s.Topics);
        Assert.Equal("accounts", s.GroupId);
        Assert.Equal("Account", s.Entity);
        Assert.Equal("accounts.dlq", s.DlqTopic);
        Assert.Equal(1000, s.MaxInFlightPerPartition);
        Assert.Equal(TimeSpan.FromSeconds(30), s.AckTimeout);
        Assert.Equal(NullKeyPolicy.PerPartition, s.NullKeyPolicy);
        Assert.Equal(new RetrySettings(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2), s.Retry);
        Assert.Equal(SupervisionDecision.Retry, s.Supervision.Default);
        Assert.Empty(s.Supervision.Rules);
        Assert.Empty(s.EmitTopics);
    }

    [Fact]
    public void Create_with_reference_defaults_only_equals_FromConfig()
    {
        var fromRoot = Accounts("topic = accounts\nentity = Account");
        var created = PipelineSettings.Create("accounts", Parse("topic = accounts\nentity = Account"));
        Assert.Equal(fromRoot, created);
    }

    [Fact]
    public void Full_pipeline_block_is_read()
    {
        var s = Accounts("""
            topic = "accounts"
            group-id = "accounts-group"
            entity = "Account"
            dlq-topic = "accounts.failed"
            max-in-flight-per-partition = 64
            ack-timeout = 45s
            null-key-policy = dead-letter
            retry { max-attempts = 7, min-backoff = 50ms, max-backoff = 2s, random-factor = 0 }
            supervision {
              default = stop
              rules { "System.FormatException" = dead-letter, "MyApp.TransientDbException" = retry }
            }
            emit-topics = ["accounts.balances", "accounts.audit"]
            """);

        Assert.Equal(["accounts"], s.Topics);
        Assert.Equal("accounts-group", s.GroupId);
        Assert.Equal("Account", s.Entity);
        Assert.Equal("accounts.failed", s.DlqTopic);
        Assert.Equal(64, s.MaxInFlightPerPartition);
        Assert.Equal(TimeSpan.FromSeconds(45), s.AckTimeout);
        Assert.Equal(NullKeyPolicy.DeadLetter, s.NullKeyPolicy);
        Assert.Equal(new RetrySettings(7, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), 0), s.Retry);
        Assert.Equal(SupervisionDecision.Stop, s.Supervision.Default);
        Assert.Equal(
            [new SupervisionRule("System.FormatException", SupervisionDecision.DeadLetter), new SupervisionRule("MyApp.TransientDbException", SupervisionDecision.Retry)],
            s.Supervision.Rules);
        Assert.Equal(["accounts.balances", "accounts.audit"], s.EmitTopics);
    }

    [Fact]
    public void Topics_list_is_read_in_order_and_the_dlq_defaults_to_the_first()
    {
        var s = Accounts("topics = [\"b\", \"a\", \"c\"]\nentity = Account");
        Assert.Equal(["b", "a", "c"], s.Topics);
        Assert.Equal("b.dlq", s.DlqTopic);
    }

    [Fact]
    public void Unquoted_rule_names_mean_the_same_as_quoted_ones()
    {
        var quoted = Accounts("topic = a\nentity = E\nsupervision.rules { \"System.IO.IOException\" = stop }");
        var nested = Accounts("topic = a\nentity = E\nsupervision.rules { System.IO.IOException = stop }");
        Assert.Equal("System.IO.IOException", nested.Supervision.Rules.Single().ExceptionType);
        Assert.Equal(quoted, nested);
    }

    [Fact]
    public void Null_group_id_and_dlq_topic_mean_the_derived_defaults()
    {
        var s = Accounts("topic = a\nentity = E\ngroup-id = null\ndlq-topic = null");
        Assert.Equal("accounts", s.GroupId);
        Assert.Equal("a.dlq", s.DlqTopic);
    }

    [Fact]
    public void Pipeline_blocks_fall_back_to_pipeline_defaults_key_by_key()
    {
        var extra = """
            actorstream.pipeline-defaults {
              ack-timeout = 60s
              dlq-topic = "all.dlq"
              retry { max-attempts = 3 }
              supervision.rules { "System.FormatException" = dead-letter, "System.TimeoutException" = retry }
            }
            """;
        var s = Accounts(
            "topic = accounts\nentity = Account\nretry.min-backoff = 1s\nsupervision.rules { \"System.TimeoutException\" = stop, \"System.IO.IOException\" = retry }",
            extra);

        Assert.Equal(TimeSpan.FromSeconds(60), s.AckTimeout);
        Assert.Equal("all.dlq", s.DlqTopic);
        Assert.Equal(new RetrySettings(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 0.2), s.Retry);
        Assert.Equal(
            [
                new SupervisionRule("System.TimeoutException", SupervisionDecision.Stop),
                new SupervisionRule("System.IO.IOException", SupervisionDecision.Retry),
                new SupervisionRule("System.FormatException", SupervisionDecision.DeadLetter),
            ],
            s.Supervision.Rules);
        Assert.Equal(1000, s.MaxInFlightPerPartition);
    }

    [Fact]
    public void Create_uses_the_given_defaults_section()
    {
        var defaults = PipelineDefaults.Section(Parse("actorstream.pipeline-defaults.max-in-flight-per-partition = 5"));
        var s = PipelineSettings.Create("p", Parse("topic = t\nentity = E"), defaults);
        Assert.Equal(5, s.MaxInFlightPerPartition);
        Assert.Equal(TimeSpan.FromSeconds(30), s.AckTimeout);

        var partial = PipelineSettings.Create("p", Parse("topic = t\nentity = E"), Parse("ack-timeout = 2s"));
        Assert.Equal(TimeSpan.FromSeconds(2), partial.AckTimeout);
        Assert.Equal(1000, partial.MaxInFlightPerPartition);
    }

    [Fact]
    public void FromConfig_reads_every_pipeline_in_config_order()
    {
        var all = PipelineSettings.FromConfig(Parse("""
            actorstream.pipelines {
              payments { topic = payments, entity = Payment }
              accounts { topic = accounts, entity = Account }
            }
            """));
        Assert.Equal(["payments", "accounts"], all.Select(p => p.Name));
        Assert.Equal(["payments", "accounts"], all.Select(p => p.GroupId));
    }

    [Fact]
    public void No_pipelines_configured_gives_an_empty_list()
    {
        Assert.Empty(PipelineSettings.FromConfig(Config.Empty));
        Assert.Empty(PipelineSettings.FromConfig(Parse("akka.loglevel = INFO")));
    }

    [Fact]
    public void Reference_has_an_empty_pipelines_object_and_documents_every_key()
    {
        var reference = PipelineDefaults.ReferenceConfig;
        Assert.True(reference.GetValue("actorstream.pipelines").IsObject());
        Assert.Empty(reference.GetValue("actorstream.pipelines").GetObject().Items);

        using var stream = typeof(PipelineDefaults).Assembly.GetManifestResourceStream(PipelineDefaults.ResourceName);
        Assert.NotNull(stream);
        var text = new StreamReader(stream).ReadToEnd();
        var lines = text.Split('\n');
        foreach (var key in ConfigPaths.PipelineKeys.Concat(ConfigPaths.RetryKeys).Concat(ConfigPaths.SupervisionKeys))
        {
            Assert.Contains(key, text);
        }

        // Every key line inside pipeline-defaults is preceded by a comment line.
        var start = Array.FindIndex(lines, l => l.Trim().StartsWith("pipeline-defaults {", StringComparison.Ordinal));
        Assert.True(start > 0);
        for (var i = start + 1; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith('}'))
            {
                continue;
            }

            Assert.True(lines[i - 1].Trim().StartsWith('#'), $"reference.conf line '{line}' has no comment above it");
        }
    }

    [Fact]
    public void Two_pipelines_in_one_consumer_group_are_refused()
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => PipelineSettings.FromConfig(Parse("""
            actorstream.pipelines {
              a { topic = a, entity = A, group-id = shared }
              b { topic = b, entity = B, group-id = shared }
            }
            """)));
        Assert.Equal("b", ex.Pipeline);
        Assert.Equal("group-id", ex.Key);
        Assert.StartsWith("actorstream.pipelines.b.group-id: ", ex.Message);
        Assert.Contains("'a'", ex.Message);
    }

    [Fact]
    public void A_pipeline_that_is_not_a_block_is_refused()
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => PipelineSettings.FromConfig(Parse("actorstream.pipelines.accounts = 5")));
        Assert.Equal("accounts", ex.Pipeline);
        Assert.StartsWith("actorstream.pipelines.accounts: ", ex.Message);
    }

    [Fact]
    public void Invalid_pipeline_names_are_refused_with_a_quoted_path()
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => PipelineSettings.FromConfig(Parse("actorstream.pipelines { \"my pipe\" { topic = a, entity = E } }")));
        Assert.Equal("my pipe", ex.Pipeline);
        Assert.StartsWith("actorstream.pipelines.\"my pipe\": ", ex.Message);
    }

    public static TheoryData<string, string, string> InvalidBlocks => new()
    {
        { "topic = a\nentity = E\nmax-in-flight-per-partition = -3", "max-in-flight-per-partition", "must be an integer >= 1, got -3" },
        { "topic = a\nentity = E\nmax-in-flight-per-partition = lots", "max-in-flight-per-partition", "must be an integer >= 1, got 'lots'" },
        { "topic = a\nentity = E\nmax-in-flight-per-partition = 0", "max-in-flight-per-partition", "got 0" },
        { "topic = a\nentity = E\nack-timeout = 0s", "ack-timeout", "must be a duration > 0 (e.g. 500ms, 30s), got '0s'" },
        { "topic = a\nentity = E\nack-timeout = soon", "ack-timeout", "got 'soon'" },
        { "topic = a\nentity = E\nnull-key-policy = sometimes", "null-key-policy", "unknown value 'sometimes'; allowed values: per-partition, dead-letter" },
        { "topic = a\nentity = E\nvalue-format = avro", "value-format", "unknown value 'avro'; allowed values: json, json-schema, json-validated" },
        { "topic = a\nentity = E\nvalue-format = [json]", "value-format", "got a list" },
        { "topic = a\nentity = E\nemit-format = avro", "emit-format", "unknown value 'avro'; allowed values: json, json-schema" },
        { "topic = a\ntopics = [b]\nentity = E", "topics", "cannot be set together with topic" },
        { "entity = E", "topic", "is required" },
        { "topic = a", "entity", "is required" },
        { "topic = a\nentity = \"  \"", "entity", "is required" },
        { "topic = \"bad topic\"\nentity = E", "topic", "'bad topic' is not a valid Kafka topic name" },
        { "topic = \"..\"\nentity = E", "topic", "'..' is not a valid Kafka topic name" },
        { "topic = \"\"\nentity = E", "topic", "must not be empty" },
        { $"topic = {new string('t', 250)}\nentity = E", "topic", "250 characters, at most 249" },
        { "topic = [a]\nentity = E", "topic", "got a list" },
        { "topics = [a, \"b/c\"]\nentity = E", "topics", "'b/c' is not a valid Kafka topic name" },
        { "topics = []\nentity = E", "topics", "got an empty list" },
        { "topics = [a, a]\nentity = E", "topics", "'a' is listed more than once" },
        { "topics = a\nentity = E", "topics", "must be a non-empty list" },
        { "topic = a\nentity = E\ndlq-topic = a", "dlq-topic", "'a' is also an input topic" },
        { "topics = [a, a.dlq]\nentity = E", "dlq-topic", "default dead-letter topic 'a.dlq'" },
        { "topic = a\nentity = E\ndlq-topic = \"a dlq\"", "dlq-topic", "'a dlq' is not a valid Kafka topic name" },
        { "topic = a\nentity = E\ngroup-id = [g]", "group-id", "must be a consumer group id, or \"\" for the pipeline name, got a list" },
        { "topic = a\nentity = E\nretry.max-attempts = 0", "retry.max-attempts", "must be an integer >= 1, got 0" },
        { "topic = a\nentity = E\nretry.min-backoff = 0ms", "retry.min-backoff", "must be a duration > 0" },
        { "topic = a\nentity = E\nretry { min-backoff = 5s, max-backoff = 1s }", "retry.max-backoff", "must be >= min-backoff (5s), got 1s" },
        { "topic = a\nentity = E\nretry.random-factor = 1.5", "retry.random-factor", "must be a number between 0 and 1, got 1.5" },
        { "topic = a\nentity = E\nretry.random-factor = lots", "retry.random-factor", "got 'lots'" },
        { "topic = a\nentity = E\nretry = 5", "retry", "must be an object with the keys max-attempts, min-backoff, max-backoff, random-factor" },
        { "topic = a\nentity = E\nsupervision.default = maybe", "supervision.default", "unknown value 'maybe'; allowed values: retry, dead-letter, stop" },
        { "topic = a\nentity = E\nsupervision.rules { \"System.FormatException\" = ignore }", "supervision.rules.\"System.FormatException\"", "unknown value 'ignore'" },
        { "topic = a\nentity = E\nsupervision.rules = [x]", "supervision.rules", "must be an object of exception full type name -> decision" },
        { "topic = a\nentity = E\nemit-topics = [ok, \"\"]", "emit-topics", "must not be empty" },
        { "topic = a\nentity = E\nemit-topics = accounts.balances", "emit-topics", "must be a list of topic names" },
        { "topic = a\nentity = E\nemit-topics = [x, x]", "emit-topics", "'x' is listed more than once" },
        { "topic = a\nentity = E\nmax-inflight = 5", "max-inflight", "unknown key (did you mean 'max-in-flight-per-partition'?); known keys: topic, topics, group-id, entity, dlq-topic, max-in-flight-per-partition, ack-timeout, null-key-policy, retry, supervision, emit-topics" },
        { "topic = a\nentity = E\ndlq = x", "dlq", "unknown key" },
        { "topic = a\nentity = E\nretry.max-attempt = 3", "retry.max-attempt", "unknown key (did you mean 'max-attempts'?); known keys: max-attempts, min-backoff, max-backoff, random-factor" },
        { "topic = a\nentity = E\nsupervision.defaults = stop", "supervision.defaults", "unknown key (did you mean 'default'?); known keys: default, rules" },
    };

    [Theory]
    [MemberData(nameof(InvalidBlocks))]
    public void Every_validation_error_names_the_pipeline_and_the_key(string block, string key, string problem)
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => Accounts(block));

        Assert.Equal("accounts", ex.Pipeline);
        Assert.Equal(key, ex.Key);
        Assert.Equal($"actorstream.pipelines.accounts.{key}", ex.Path);
        Assert.StartsWith($"actorstream.pipelines.accounts.{key}: ", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void Error_message_has_the_documented_format()
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => Accounts("topic = a\nentity = E\nmax-in-flight-per-partition = -3"));
        Assert.Equal("actorstream.pipelines.accounts.max-in-flight-per-partition: must be an integer >= 1, got -3", ex.Message);

        var policy = Assert.Throws<PipelineConfigurationException>(() => Accounts("topic = a\nentity = E\nnull-key-policy = sometimes"));
        Assert.Equal("actorstream.pipelines.accounts.null-key-policy: unknown value 'sometimes'; allowed values: per-partition, dead-letter", policy.Message);
    }

    [Theory]
    [InlineData("ack-timeout = 0s", "ack-timeout", "must be a duration > 0")]
    [InlineData("max-inflight = 3", "max-inflight", "unknown key")]
    [InlineData("topic = x", "topic", "cannot be set in actorstream.pipeline-defaults")]
    [InlineData("entity = X", "entity", "cannot be set in actorstream.pipeline-defaults")]
    [InlineData("retry.max-backoff = 1ms", "retry.max-backoff", "must be >= min-backoff (200ms), got 1ms")]
    [InlineData("dlq-topic = \"no good\"", "dlq-topic", "not a valid Kafka topic name")]
    public void Errors_in_pipeline_defaults_name_the_defaults_path(string defaults, string key, string problem)
    {
        // FromConfig checks the defaults on their own, also when no pipeline is configured.
        var ex = Assert.Throws<PipelineConfigurationException>(() =>
            PipelineSettings.FromConfig(Parse($"actorstream.pipeline-defaults {{\n{defaults}\n}}")));
        Assert.Equal("", ex.Pipeline);
        Assert.Equal(key, ex.Key);
        Assert.Equal($"actorstream.pipeline-defaults.{key}", ex.Path);
        Assert.StartsWith($"actorstream.pipeline-defaults.{key}: ", ex.Message);
        Assert.Contains(problem, ex.Message);

        // Create names the pipeline that inherits the bad value.
        var created = Assert.Throws<PipelineConfigurationException>(() =>
            PipelineSettings.Create("accounts", Parse("topic = a\nentity = E"), Parse(defaults)));
        Assert.Equal("accounts", created.Pipeline);
        Assert.Equal(key, created.Key);
        Assert.StartsWith($"actorstream.pipeline-defaults.{key}: ", created.Message);
        Assert.Contains(problem, created.Message);
        Assert.Contains("inherited by pipeline 'accounts'", created.Message);
    }

    [Fact]
    public void A_broken_default_is_refused_even_where_a_pipeline_overrides_it()
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() =>
            Accounts("topic = a\nentity = E\nack-timeout = 5s", "actorstream.pipeline-defaults.ack-timeout = 0s"));
        Assert.Equal("actorstream.pipeline-defaults.ack-timeout", ex.Path);
    }

    [Fact]
    public void Values_merged_from_pipeline_and_defaults_are_checked_together()
    {
        // Each value is fine alone; together min-backoff > max-backoff.
        var ex = Assert.Throws<PipelineConfigurationException>(() =>
            Accounts("topic = a\nentity = E\nretry.min-backoff = 20s", "actorstream.pipeline-defaults.retry.max-backoff = 10s"));
        Assert.Equal("retry.max-backoff", ex.Key);
        Assert.Equal("actorstream.pipeline-defaults.retry.max-backoff: must be >= min-backoff (20s), got 10s (inherited by pipeline 'accounts')", ex.Message);
    }
}
