using Xunit;

namespace ActorStream.Host.Tests;

/// <summary><c>actorstream dev</c>, the README's main command, run as a new user would.</summary>
public sealed class DevCommandTests
{
    [Fact]
    public async Task Dev_runs_the_sample_stream_and_verifies_every_balance_on_a_timed_stop()
    {
        var (exit, stdout, stderr) = await Actorstream.RunAsync("dev", "--duration", "4s", "--rate", "400", "--accounts", "200", "--poison-every", "100");

        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        // Live progress lines appear (the first may say 2s when start-up competes for the CPU).
        Assert.Matches(@"\[\s+\d+s\] produced", stdout);
        // The embedded schema registry runs in the node.
        Assert.Matches(@"schema registry at http://127\.0\.0\.1:\d+;", stdout);
        Assert.Matches(@"Schema registry at http://127\.0\.0\.1:\d+", stderr);
        var verified = Assert.Single(stdout.Split('\n'), l => l.StartsWith("verified: ", StringComparison.Ordinal));
        Assert.Contains("lag 0, all offsets committed", verified);
        Assert.DoesNotContain("malformed record(s) in accounts.dlq; 0", verified);
        Assert.Matches(@"; [1-9]\d* malformed record\(s\) in accounts\.dlq", verified);
        // The sample runs value-format = json-schema: its malformed records fail the schema check.
        Assert.Matches(@"in accounts\.dlq \(stage schema: [1-9]\d*\);", verified);
    }

    [Fact]
    public async Task Dev_stops_cleanly_on_sigterm_committing_what_was_processed()
    {
        using var process = Actorstream.Start("dev", "--rate", "300", "--accounts", "100");
        var stdout = process.StandardOutput;
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(Actorstream.RunTimeout);
        while (await stdout.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(line);
            if (line.StartsWith("[    2s]", StringComparison.Ordinal))
            {
                Actorstream.Terminate(process);
                break;
            }
        }

        var rest = await stdout.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var all = string.Join('\n', lines) + rest;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{all}\n{await process.StandardError.ReadToEndAsync()}");
        Assert.Contains("stopping: traffic off", all);
        Assert.Contains("verified: ", all);
    }

    [Theory]
    [InlineData("--rate", "0", "--rate '0' is invalid")]
    [InlineData("--duration", "soon", "--duration 'soon' is invalid")]
    [InlineData("--partitions", "-1", "--partitions '-1' is invalid")]
    public async Task Dev_rejects_bad_arguments_before_starting(string option, string value, string message)
    {
        var (exit, stdout, stderr) = await Actorstream.RunAsync("dev", option, value);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains(message, stderr);
    }
}
