using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.Host.Tests;

public sealed partial class KafkaCommandTests
{
    [GeneratedRegex(@"^bootstrap\.servers=127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$")]
    private static partial Regex ThreeBrokerBootstrapLine();

    [GeneratedRegex(@"^control=http://127\.0\.0\.1:\d+$")]
    private static partial Regex ControlLine();

    [Fact]
    public async Task Kafka_PrintsExactlyTheTwoContractLines_ThenServes_AndExitsZeroOnSigterm()
    {
        using var process = Actorstream.Start("kafka", "--brokers", "3", "--topic", "orders:3");
        var stdout = process.StandardOutput.BaseStream;
        string first, second;
        try
        {
            using var timeout = new CancellationTokenSource(Actorstream.RunTimeout);
            first = await ReadAsciiLineAsync(stdout, timeout.Token);
            second = await ReadAsciiLineAsync(stdout, timeout.Token);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.Matches(ThreeBrokerBootstrapLine(), first);
        Assert.Matches(ControlLine(), second);

        var bootstrap = first["bootstrap.servers=".Length..];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            var metadata = admin.GetMetadata("orders", TimeSpan.FromSeconds(10));
            Assert.Equal(3, metadata.Brokers.Count);
            Assert.Equal(3, metadata.Topics.Single().Partitions.Count);
        }

        var stderr = process.StandardError.ReadToEndAsync();
        Actorstream.Terminate(process);
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await process.WaitForExitAsync(exit.Token);
        }

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(string.Empty, await process.StandardOutput.ReadToEndAsync());
        Assert.Contains("Stopping embedded Kafka", await stderr);
    }

    [Fact]
    public async Task Kafka_ControlCreatesTopics_ClientsProduceAndConsume_SigtermStopsCleanly()
    {
        var process = await Actorstream.StartKafkaAsync("--topic", "orders:3");
        await using (process)
        {
            await process.Control.CreateTopicAsync("payments", 2);
            var topics = await process.Control.GetTopicsAsync();
            Assert.Equal(new Dictionary<string, int> { ["orders"] = 3, ["payments"] = 2 }, topics);
            Assert.Equal(process.BootstrapServers, await process.Control.GetBootstrapServersAsync());

            var producerConfig = new ProducerConfig
            {
                BootstrapServers = process.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                AllowAutoCreateTopics = false,
            };
            using (var producer = new ProducerBuilder<string, string>(producerConfig).Build())
            {
                var deliveries = Enumerable.Range(0, 20)
                    .Select(i => producer.ProduceAsync("payments", new Message<string, string> { Key = $"k{i % 4}", Value = $"v{i}" }));
                await Task.WhenAll(deliveries).WaitAsync(TimeSpan.FromSeconds(30));
            }

            var consumerConfig = new ConsumerConfig
            {
                BootstrapServers = process.BootstrapServers,
                GroupId = "host-tests",
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
            };
            using var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build();
            consumer.Subscribe("payments");
            var received = new List<ConsumeResult<string, string>>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (received.Count < 20 && DateTime.UtcNow < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is not null)
                {
                    received.Add(result);
                }
            }

            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"v{i}").Order(), received.Select(r => r.Message.Value).Order());
            foreach (var byKey in received.GroupBy(r => r.Message.Key))
            {
                var order = byKey.Select(r => int.Parse(r.Message.Value[1..])).ToList();
                Assert.Equal(order.Order(), order);
            }

            consumer.Close();

            var exitCode = await process.StopAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, exitCode);
            Assert.Empty(process.ExtraStandardOutput);
        }
    }

    [Theory]
    [InlineData("--topic", "foo")]
    [InlineData("--topic", "foo:abc")]
    [InlineData("--topic", "foo:0")]
    [InlineData("--topic", "bad/name:1")]
    [InlineData("--brokers", "0")]
    [InlineData("--brokers", "many")]
    [InlineData("--control-port", "70000")]
    public async Task Kafka_BadArgument_ExplainsTheOptionOnStderr_Exits2_PrintsNothingOnStdout(string option, string value)
    {
        var (exitCode, stdout, stderr) = await Actorstream.RunAsync("kafka", option, value);

        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(option, stderr);
        Assert.Contains($"'{value}'", stderr);
        Assert.Contains("expected", stderr);
        Assert.DoesNotContain("Exception", stderr);
    }

    [Fact]
    public async Task Kafka_ReplicationFactorAboveBrokerCount_Exits2_PrintsNothingOnStdout()
    {
        var (exitCode, stdout, stderr) = await Actorstream.RunAsync("kafka", "--brokers", "2", "--topic", "t:1:3");

        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("--topic 't'", stderr);
        Assert.Contains("replication factor 3", stderr);
    }

    [Fact]
    public async Task Kafka_ControlPortInUse_Exits1_PrintsNothingOnStdout()
    {
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;

        var (exitCode, stdout, stderr) = await Actorstream.RunAsync("kafka", "--control-port", port.ToString());

        Assert.Equal(1, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains($"127.0.0.1:{port}", stderr);
    }

    [Fact]
    public async Task Kafka_FixedControlPort_IsTheOnePrinted()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var process = await Actorstream.StartKafkaAsync("--control-port", port.ToString());

        Assert.Equal(new Uri($"http://127.0.0.1:{port}"), process.ControlUri);
        Assert.Empty(await process.Control.GetTopicsAsync());
    }

    [Fact]
    public async Task Help_And_Version_ExitZero()
    {
        var help = await Actorstream.RunAsync("--help");
        var kafkaHelp = await Actorstream.RunAsync("kafka", "--help");
        var version = await Actorstream.RunAsync("--version");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("kafka", help.Stdout);
        Assert.Equal(0, kafkaHelp.ExitCode);
        Assert.Contains("--topic", kafkaHelp.Stdout);
        Assert.Contains("--control-port", kafkaHelp.Stdout);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout);
    }

    [Fact]
    public async Task NoCommand_Exits2_WithAHintOnStderr()
    {
        var (exitCode, stdout, stderr) = await Actorstream.RunAsync();

        Assert.Equal(2, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("actorstream --help", stderr);
    }

    /// <summary>Reads one '\n'-terminated line byte by byte, failing on anything but printable ASCII (no BOM, no '\r').</summary>
    private static async Task<string> ReadAsciiLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var buffer = new byte[1];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"stdout ended after '{line}'");
            }

            if (buffer[0] == (byte)'\n')
            {
                return line.ToString();
            }

            Assert.InRange(buffer[0], (byte)0x20, (byte)0x7e);
            line.Append((char)buffer[0]);
        }
    }
}
