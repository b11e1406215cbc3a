using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream topics</c> and the node's start-up topic check against an <c>actorstream kafka</c> process.</summary>
public class TopicsCommandTests
{
    private static readonly Dictionary<string, string?> NoKafkaEnvironment = new() { ["KAFKA_BOOTSTRAP_SERVERS"] = null };

    private static string Sample => Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");

    [Fact]
    public async Task Plan_lists_missing_topics_and_exits_1_apply_creates_them_through_the_control_port_then_plan_is_in_sync()
    {
        await using var kafka = await Actorstream.StartKafkaAsync();
        var bootstrap = $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}";

        var (planExit, planOut, planErr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "topics", "plan", "--config", Sample, "--set", bootstrap);
        Assert.True(planExit == 1, $"exit {planExit}\n{planOut}\n{planErr}");
        Assert.Contains("+ accounts: create: 8 partitions", planOut);
        Assert.Contains("+ accounts.balances: create: 8 partitions", planOut);
        Assert.Contains("cleanup.policy=compact,delete", planOut);
        Assert.Contains("+ accounts.dlq: create: 8 partitions", planOut);

        // Without the control port the mock refuses CreateTopics; the error says what to do.
        var (noControlExit, noControlOut, _) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "topics", "apply", "--config", Sample, "--set", bootstrap, "--set", "actorstream.node.topic-check-timeout=3s");
        Assert.Equal(1, noControlExit);
        Assert.Contains("NOT applied  accounts:", noControlOut);
        Assert.Contains("--control", noControlOut);

        var (applyExit, applyOut, applyErr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment,
            "topics", "apply", "--config", Sample, "--set", bootstrap, "--control", kafka.ControlUri.ToString());
        Assert.True(applyExit == 0, $"exit {applyExit}\n{applyOut}\n{applyErr}");
        Assert.Contains("applied  accounts.dlq:", applyOut);
        Assert.Equal(new Dictionary<string, int> { ["accounts"] = 8, ["accounts.balances"] = 8, ["accounts.dlq"] = 8 }, await kafka.Control.GetTopicsAsync());

        var (syncExit, syncOut, _) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "topics", "plan", "--config", Sample, "--set", bootstrap);
        Assert.Equal(0, syncExit);
        Assert.Contains("topics are in sync with the declarations", syncOut);
        Assert.Contains("note  accounts: the broker does not describe topic configs", syncOut);

        var (listExit, listOut, _) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "topics", "list", "--config", Sample, "--set", bootstrap);
        Assert.Equal(0, listExit);
        Assert.Matches(@"accounts\.dlq\s+8\s+1\s+declared", listOut);
    }

    [Fact]
    public async Task A_partition_increase_on_a_keyed_topic_is_refused_and_too_many_partitions_need_a_person()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:4", "--topic", "accounts.balances:12", "--topic", "accounts.dlq:8");
        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment,
            "topics", "apply", "--config", Sample, "--set", $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}");
        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("NOT applied  accounts: partitions 4 → 8", stdout);
        Assert.Contains("--allow-key-remap", stdout);
        Assert.Contains("NOT applied  accounts.balances: has 12 partitions, declared 8: Kafka cannot remove partitions", stdout);
    }

    [Fact]
    public async Task A_node_refuses_to_start_when_a_topic_is_missing_or_has_another_partition_count()
    {
        await using var kafka = await Actorstream.StartKafkaAsync("--topic", "accounts:4", "--topic", "accounts.balances:8");
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment,
            "run", "--config", Sample, "--set", $"actorstream.kafka.bootstrap-servers={kafka.BootstrapServers}");
        Assert.Equal(2, exit);
        Assert.Contains("topics do not match the configuration", stderr);
        Assert.Contains("topic 'accounts' has 4 partitions, declared 8", stderr);
        Assert.Contains("topic 'accounts.dlq' (pipeline accounts) does not exist", stderr);
        Assert.Contains("actorstream topics apply", stderr);
    }

    [Fact]
    public async Task Topics_commands_refuse_the_embedded_bootstrap_and_bad_declarations_with_clear_errors()
    {
        var dev = Path.Combine(Actorstream.RepositoryRoot, "hocon", "dev.conf");
        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "topics", "plan", "--config", dev);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("actorstream.kafka.bootstrap-servers is 'embedded'", stderr);

        (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "topics", "plan", "--config", Sample,
            "--set", "actorstream.kafka.bootstrap-servers=127.0.0.1:1", "--set", "actorstream.topics.accounts.partitions=zero");
        Assert.Equal(2, exit);
        Assert.Contains("actorstream.topics.accounts.partitions: must be a whole number >= 1; got 'zero'", stderr);
    }
}
