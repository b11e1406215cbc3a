using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Akka.Configuration;
using Akka.Streams;
using ActorStream.Host.Cli;
using ActorStream.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ActorStream.Host.Sample;
using ActorStream.Kafka.Settings;
using ActorStream.TestKit;
using Config = Akka.Configuration.Config;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream dev</c>: everything in one process on the embedded default — a node running the
/// sample <c>accounts</c> pipeline (sharded Account entities) on an embedded Kafka broker, and
/// sample traffic — with a live progress line. On Ctrl+C (or after <c>--duration</c>) it stops the traffic, lets processing
/// catch up, commits, and verifies every balance against what was produced.
/// </summary>
internal static class DevCommand
{
    public static Command Create()
    {
        var rate = new Option<int>("--rate")
        {
            Description = "Sample transactions produced per second.",
            DefaultValueFactory = _ => 200,
            CustomParser = r => OptionParsing.Int(r, "--rate", 1, 1_000_000, "a rate in records per second"),
        };
        var accounts = new Option<int>("--accounts")
        {
            Description = "Number of distinct accounts (record keys).",
            DefaultValueFactory = _ => 1000,
            CustomParser = r => OptionParsing.Int(r, "--accounts", 1, 10_000_000, "an account count"),
        };
        var partitions = new Option<int>("--partitions")
        {
            Description = "Partitions of the accounts topics.",
            DefaultValueFactory = _ => 8,
            CustomParser = r => OptionParsing.Int(r, "--partitions", 1, EmbeddedKafka.MaxPartitions, "a partition count"),
        };
        var poisonEvery = new Option<int>("--poison-every")
        {
            Description = "Every Nth sample record is malformed, to show the dead-letter path (0 = never).",
            DefaultValueFactory = _ => 1000,
            CustomParser = r => OptionParsing.Int(r, "--poison-every", 0, int.MaxValue, "a record count"),
        };
        var duration = new Option<TimeSpan>("--duration")
        {
            Description = "Stop by itself after this long, e.g. 30s or 5m (default: run until Ctrl+C).",
            DefaultValueFactory = _ => TimeSpan.Zero,
            CustomParser = r => OptionParsing.Duration(r, "--duration"),
        };

        var command = new Command("dev", "Run the sample accounts pipeline on an embedded Kafka broker in one process, with live progress. Stop with Ctrl+C.")
        {
            rate, accounts, partitions, poisonEvery, duration,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new DevOptions(parseResult.GetValue(rate), parseResult.GetValue(accounts), parseResult.GetValue(partitions), parseResult.GetValue(poisonEvery), parseResult.GetValue(duration)),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(DevOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        // System.CommandLine installs its SIGINT/SIGTERM handler only once the action returns its task;
        // yield first, so a signal during the start-up is a clean stop, not the runtime's default exit.
        await Task.Yield();

        // The sample pipeline (hocon/sample.conf, shipped inside the executable) on an in-process broker,
        // as a .NET host like `run`.
        var devConfig = ConfigurationFactory.ParseString($$"""
                actorstream.kafka.bootstrap-servers = embedded
                actorstream.schema-registry.embedded = on
                actorstream.pipelines.accounts.value-format = json-schema
                actorstream.pipelines.accounts.emit-format = json-schema
                actorstream.topics.accounts.partitions = {{options.Partitions}}
                actorstream.topics."accounts.balances".partitions = {{options.Partitions}}
                actorstream.topics."accounts.dlq".partitions = {{options.Partitions}}
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                """);
        var builder = NodeProgram.CreateBuilder();
        builder.Services.AddActorStream(b => b
            .WithConfig(SampleConfig())
            .WithConfig(devConfig)
            .AddEntity<AccountEntity>("Account")
            .AddPipelinesFromConfig());
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorStream.Dev");
        if (await NodeProgram.StartAsync(host, "dev", stderr, logger, cancellationToken) is { } failed)
        {
            return failed;
        }

        var node = host.Services.GetRequiredService<ActorStreamNode>();
        var kafka = node.EmbeddedKafka!;
        try
        {
            var materializer = node.System.Materializer();
            var counters = new DevCounters();
            var producerSettings = ProducerSettings<string, byte[]>.Create(node.System);

            await stdout.WriteLineAsync($"actorstream dev: embedded Kafka at {kafka.BootstrapServers}; schema registry at {(node.EmbeddedSchemaRegistryUrl is { } registry ? registry.ToString().TrimEnd('/') : "(none)")}; pipeline accounts: topic {AccountsSample.InputTopic} → sharded Account entities → {AccountsSample.BalancesTopic}, dead letters to {AccountsSample.DeadLetterTopic} ({options.Partitions} partitions each)");
            await stdout.WriteLineAsync($"sample traffic: {options.Rate}/s over {options.Accounts} accounts{(options.PoisonEvery > 0 ? $", every {options.PoisonEvery}th record malformed" : "")}; Ctrl+C stops, drains and verifies");

            // The sample's schemas (hocon/schemas, shipped inside the executable) go to the embedded
            // registry; the traffic is produced in Confluent's wire format against it.
            using var registryClient = new Confluent.SchemaRegistry.CachedSchemaRegistryClient(new Confluent.SchemaRegistry.SchemaRegistryConfig
            {
                Url = node.EmbeddedSchemaRegistryUrl!.ToString().TrimEnd('/'),
            });
            var accountsSchema = await RegisterSampleSchemaAsync(registryClient, AccountsSample.InputTopic + "-value");
            await RegisterSampleSchemaAsync(registryClient, AccountsSample.BalancesTopic + "-value");
            var serializer = new Confluent.SchemaRegistry.Serdes.JsonSerializer<WireTransaction>(registryClient, accountsSchema,
                new Confluent.SchemaRegistry.Serdes.JsonSerializerConfig { AutoRegisterSchemas = false, UseLatestVersion = true });
            var traffic = new AccountsSampleTraffic(options.Accounts, options.PoisonEvery, serializer);
            var (trafficSwitch, trafficDone) = traffic.Run(producerSettings, options.Rate, counters, materializer);
            var pipeline = node.Pipelines.All[0];

            using var lag = new GroupLag(kafka.BootstrapServers, pipeline.Settings.GroupId, AccountsSample.InputTopic, options.Partitions);
            var clock = Stopwatch.StartNew();
            var progress = new ProgressLine(stdout);
            try
            {
                while (!cancellationToken.IsCancellationRequested && (options.Duration == TimeSpan.Zero || clock.Elapsed < options.Duration))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    await progress.PrintAsync(clock.Elapsed, counters, lag.Read(TimeSpan.FromSeconds(2)), lag.Records(AccountsSample.DeadLetterTopic, TimeSpan.FromSeconds(2)));
                    if (pipeline.Completion.IsCompleted)
                    {
                        logger.LogError(pipeline.Completion.Exception?.GetBaseException(), "The accounts pipeline stopped");
                        return ExitCodes.Failure;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            await stdout.WriteLineAsync();
            await stdout.WriteLineAsync("stopping: traffic off, letting processing catch up, then draining and committing");
            trafficSwitch.Shutdown();
            await trafficDone.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            var caughtUp = Stopwatch.StartNew();
            var (remaining, _) = lag.Read(TimeSpan.FromSeconds(2));
            while (remaining > 0 && caughtUp.Elapsed < TimeSpan.FromSeconds(8))
            {
                await Task.Delay(200, CancellationToken.None);
                (remaining, _) = lag.Read(TimeSpan.FromSeconds(2));
            }

            await pipeline.StopAsync(TimeSpan.FromSeconds(10));
            var final = lag.Read(TimeSpan.FromSeconds(2));
            var deadLetters = lag.Records(AccountsSample.DeadLetterTopic, TimeSpan.FromSeconds(2));
            await progress.PrintAsync(clock.Elapsed, counters, final, deadLetters);
            await stdout.WriteLineAsync();

            var problems = Verify(kafka.BootstrapServers, options.Partitions, traffic.Expected);
            if (problems.Count == 0 && final.Lag == 0)
            {
                var stages = DeadLetterStages(kafka.BootstrapServers);
                await stdout.WriteLineAsync($"verified: {traffic.Expected.Count} accounts, every balance in {AccountsSample.BalancesTopic} matches the transactions produced, seq order per account holds; {deadLetters} malformed record(s) in {AccountsSample.DeadLetterTopic}{stages}; lag 0, all offsets committed");
                return ExitCodes.Success;
            }

            foreach (var problem in problems.Take(20))
            {
                await stdout.WriteLineAsync($"verification failed: {problem}");
            }

            if (final.Lag > 0)
            {
                await stdout.WriteLineAsync($"verification failed: {final.Lag} record(s) not processed and committed before shutdown");
            }

            return ExitCodes.Failure;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The dead letters by <c>actorstream.dlq.stage</c>, e.g. <c> (stage schema: 12)</c>; empty when there are none.</summary>
    private static string DeadLetterStages(string bootstrapServers)
    {
        var stages = ActorStream.Hosting.Internal.DeadLetterReader.Read(new Dictionary<string, string> { ["bootstrap.servers"] = bootstrapServers }, AccountsSample.DeadLetterTopic, (low, _) => low, TimeSpan.FromSeconds(10))
            .Select(r => r.Message.Headers is not null && r.Message.Headers.TryGetLastBytes("actorstream.dlq.stage", out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : "unknown")
            .GroupBy(stage => stage, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"stage {g.Key}: {g.Count()}")
            .ToList();
        return stages.Count == 0 ? "" : $" ({string.Join(", ", stages)})";
    }

    /// <summary>Registers the embedded sample schema for <paramref name="subject"/> and returns it.</summary>
    private static async Task<Confluent.SchemaRegistry.Schema> RegisterSampleSchemaAsync(Confluent.SchemaRegistry.ISchemaRegistryClient client, string subject)
    {
        using var stream = typeof(DevCommand).Assembly.GetManifestResourceStream($"ActorStream.Host.schemas.{subject}.schema.json")
            ?? throw new InvalidOperationException($"the schema of {subject} is not embedded");
        using var reader = new StreamReader(stream);
        var schema = new Confluent.SchemaRegistry.Schema(await reader.ReadToEndAsync(), Confluent.SchemaRegistry.SchemaType.Json);
        await client.RegisterSchemaAsync(subject, schema);
        return schema;
    }

    private static Config SampleConfig()
    {
        using var stream = typeof(DevCommand).Assembly.GetManifestResourceStream("ActorStream.Host.sample.conf")
            ?? throw new InvalidOperationException("sample.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Reads the whole balances topic and checks it against the acknowledged transactions.</summary>
    private static List<string> Verify(string bootstrapServers, int partitions, IReadOnlyDictionary<string, (long Seq, decimal Balance)> expected)
    {
        var problems = new List<string>();
        var latest = new Dictionary<string, AccountBalance>(StringComparer.Ordinal);
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"actorstream-dev-verify-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
        }).Build();
        var tps = Enumerable.Range(0, partitions).Select(p => new TopicPartition(AccountsSample.BalancesTopic, p)).ToList();
        var ends = tps.ToDictionary(tp => tp, tp => consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(5)).High.Value);
        consumer.Assign(tps.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var remaining = ends.Count(e => e.Value > 0);
        var deadline = Stopwatch.StartNew();
        while (remaining > 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is null)
            {
                continue;
            }

            if (record.Offset.Value == ends[record.TopicPartition] - 1)
            {
                remaining--;
            }

            // dev emits balances in the schema registry wire format (emit-format = json-schema):
            // byte 0, the 4-byte schema id of accounts.balances-value, then the JSON.
            var value = record.Message.Value;
            if (value.Length < 5 || value[0] != 0)
            {
                problems.Add($"{AccountsSample.BalancesTopic} {record.TopicPartitionOffset}: not in the schema registry wire format");
                continue;
            }

            var balance = JsonSerializer.Deserialize<AccountBalance>(value.AsSpan(5), AccountsSample.Json)!;
            if (latest.TryGetValue(balance.AccountId, out var previous) && balance.Seq <= previous.Seq)
            {
                problems.Add($"{balance.AccountId}: seq {balance.Seq} after seq {previous.Seq}");
            }

            latest[balance.AccountId] = balance;
        }

        foreach (var (account, (seq, amount)) in expected)
        {
            if (!latest.TryGetValue(account, out var got))
            {
                problems.Add($"{account}: no balance emitted (expected seq {seq}, balance {amount})");
            }
            else if (got.Seq != seq || got.Balance != amount)
            {
                problems.Add($"{account}: last balance {got.Balance} at seq {got.Seq}, expected {amount} at seq {seq}");
            }
        }

        return problems;
    }

    private sealed class ProgressLine
    {
        private readonly TextWriter _stdout;
        private readonly bool _interactive = !Console.IsOutputRedirected;
        private long _lastProduced;
        private long _lastProcessed;
        private TimeSpan _lastAt;

        public ProgressLine(TextWriter stdout) => _stdout = stdout;

        public async Task PrintAsync(TimeSpan elapsed, DevCounters counters, (long Lag, long Committed) lag, long deadLetters)
        {
            var seconds = Math.Max(0.001, (elapsed - _lastAt).TotalSeconds);
            var produced = counters.Produced;
            var processed = lag.Committed;
            var line = $"[{elapsed.TotalSeconds,5:0}s] produced {produced,8} ({(produced - _lastProduced) / seconds,6:0}/s) | processed+committed {processed,8} ({(processed - _lastProcessed) / seconds,6:0}/s) | lag {lag.Lag,6} | dlq {deadLetters,5}";
            (_lastProduced, _lastProcessed, _lastAt) = (produced, processed, elapsed);
            if (_interactive)
            {
                await _stdout.WriteAsync("\r" + line);
            }
            else
            {
                await _stdout.WriteLineAsync(line);
            }

            await _stdout.FlushAsync();
        }
    }
}

/// <summary>Validated options of <c>actorstream dev</c>.</summary>
internal sealed record DevOptions(int Rate, int Accounts, int Partitions, int PoisonEvery, TimeSpan Duration);
