using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream run</c>: configuration errors are clear; a node runs and stops gracefully.</summary>
public sealed class RunCommandTests
{
    private static readonly Dictionary<string, string?> NoKafkaEnvironment = new() { ["KAFKA_BOOTSTRAP_SERVERS"] = null };

    [Fact]
    public async Task Missing_bootstrap_servers_name_the_key_and_the_environment_variable()
    {
        var sample = Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");
        var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "run", "--config", sample);

        Assert.NotEqual(0, exit);
        Assert.Contains("actorstream.kafka.bootstrap-servers", stderr);
        Assert.Contains("KAFKA_BOOTSTRAP_SERVERS", stderr);
        Assert.DoesNotContain("Exception", stderr);
        Assert.Empty(stdout.Trim());
    }

    [Fact]
    public async Task A_missing_config_file_is_named()
    {
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "run", "--config", "/nonexistent/node.conf");
        Assert.NotEqual(0, exit);
        Assert.Contains("'/nonexistent/node.conf' does not exist", stderr);
    }

    [Theory]
    [InlineData("actorstream { pipelines { accounts { topic = \"a\" ", "never closed")]
    [InlineData("a { b = [1, 2 }", "'}' closes the '[' opened at line 1")]
    [InlineData("a = \"unterminated\nb = 1", "line 1: a quoted string is not closed")]
    [InlineData("a = 1\n}", "line 2: '}' closes nothing")]
    public async Task A_config_file_that_is_not_hocon_is_reported_with_its_name(string content, string problem)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(file, content);
        try
        {
            var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "run", "--config", file);
            Assert.NotEqual(0, exit);
            Assert.Contains(file, stderr);
            Assert.Contains("not valid HOCON", stderr);
            Assert.Contains(problem, stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_invalid_pipeline_setting_names_the_pipeline_and_key()
    {
        var sample = Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment,
            "run", "--config", sample, "--set", "actorstream.kafka.bootstrap-servers=127.0.0.1:1", "--set", "actorstream.pipelines.accounts.max-in-flight-per-partition=-3");
        Assert.NotEqual(0, exit);
        Assert.Contains("actorstream.pipelines.accounts.max-in-flight-per-partition", stderr);
    }

    [Fact]
    public async Task An_unregistered_entity_is_named_with_the_registered_ones()
    {
        var sample = Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf");
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment,
            "run", "--config", sample, "--set", "actorstream.kafka.bootstrap-servers=127.0.0.1:1", "--set", "actorstream.pipelines.accounts.entity=Acount");
        Assert.NotEqual(0, exit);
        Assert.Contains("actorstream.pipelines.accounts.entity", stderr);
        Assert.Contains("'Acount'", stderr);
        Assert.Contains("Account", stderr);
    }

    [Fact]
    public async Task A_bad_set_override_is_named()
    {
        var (exit, _, stderr) = await Actorstream.RunWithEnvironmentAsync(NoKafkaEnvironment, "run", "--set", "no-equals-sign");
        Assert.NotEqual(0, exit);
        Assert.Contains("--set 'no-equals-sign' is invalid; expected path=value", stderr);
    }

    [Fact]
    public async Task The_dev_config_runs_a_node_on_the_embedded_broker_and_stops_cleanly_on_sigterm()
    {
        var dev = Path.Combine(Actorstream.RepositoryRoot, "hocon", "dev.conf");
        using var process = Actorstream.Start(NoKafkaEnvironment, "run", "--config", dev);
        var stderr = process.StandardError;
        var seen = new List<string>();
        using var timeout = new CancellationTokenSource(Actorstream.RunTimeout);
        while (await stderr.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.Add(line);
            if (line.Contains("Node running with 1 pipeline(s)", StringComparison.Ordinal))
            {
                Actorstream.Terminate(process);
                break;
            }
        }

        // Keep reading stderr while waiting, so a chatty shutdown cannot block on a full pipe.
        var restTask = stderr.ReadToEndAsync(CancellationToken.None);
        using var exitTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var exited = await process.WaitForExitAsync(exitTimeout.Token).ContinueWith(t => t.IsCompletedSuccessfully);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        var rest = await restTask.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : $"(stderr unreadable: {t.Exception?.GetBaseException().Message})");
        var log = string.Join('\n', seen) + "\n" + rest;
        Assert.True(exited, $"no exit within 45 s of SIGTERM:\n{log}");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{log}");
        Assert.Contains("Starting pipeline accounts", log);
        Assert.Contains("Pipeline accounts stopped; processed offsets committed", log);
    }
}
