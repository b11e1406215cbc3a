using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ActorStream.Host.Cli;
using ActorStream.Host.Kafka;
using ActorStream.TestKit;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream kafka</c>: a standalone embedded Kafka broker (librdkafka's mock cluster) for multi-process
/// tests and local development, with an HTTP control port on 127.0.0.1 for topic creation and fault injection.
/// </summary>
/// <remarks>
/// Stdout contract (other processes parse it): line 1 is exactly <c>bootstrap.servers=&lt;list&gt;</c>, line 2
/// <c>control=http://127.0.0.1:&lt;port&gt;</c>; both are written once the broker and the control port are ready.
/// Nothing else goes to stdout; logs go to stderr. SIGINT/SIGTERM stop it cleanly with exit code 0.
/// </remarks>
internal static class KafkaCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers")
        {
            Description = $"Number of brokers (ids 1..N), 1 to {EmbeddedKafka.MaxBrokers}.",
            DefaultValueFactory = _ => 1,
            CustomParser = r => OptionParsing.Int(r, "--brokers", 1, EmbeddedKafka.MaxBrokers, "a broker count"),
        };

        var topics = new Option<TopicSpec[]>("--topic")
        {
            Description = $"Topic to create, repeatable: {TopicSpec.Format}.",
            Arity = ArgumentArity.ZeroOrMore,
            CustomParser = ParseTopics,
            DefaultValueFactory = _ => [],
        };

        var controlPort = new Option<int>("--control-port")
        {
            Description = "Port of the HTTP control API on 127.0.0.1 (0 picks a free port).",
            DefaultValueFactory = _ => 0,
            CustomParser = r => OptionParsing.Int(r, "--control-port", 0, 65535, "a TCP port"),
        };

        var command = new Command(
            "kafka",
            "Run a standalone embedded Kafka broker (librdkafka mock cluster on 127.0.0.1) with an HTTP control port. "
            + "Prints 'bootstrap.servers=<list>' then 'control=<url>' on stdout; stop with Ctrl+C or SIGTERM.")
        {
            brokers,
            topics,
            controlPort,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // System.CommandLine installs its SIGINT/SIGTERM handler only once the action returns its task;
            // yield first, so a signal during the (synchronous) start-up is a clean stop, not the runtime's default exit.
            await Task.Yield();
            var options = new KafkaOptions(
                parseResult.GetValue(brokers),
                parseResult.GetValue(topics) ?? [],
                parseResult.GetValue(controlPort));

            // Checks across options (the per-option ones ran while parsing); still before anything is started.
            var invalid = options.Topics.FirstOrDefault(t => t.ReplicationFactor > options.Brokers);
            if (invalid is not null)
            {
                var error = parseResult.InvocationConfiguration.Error;
                await error.WriteLineAsync(
                    $"actorstream kafka: error: --topic '{invalid.Name}': replication factor {invalid.ReplicationFactor} exceeds --brokers {options.Brokers}.");
                await error.WriteLineAsync("Run 'actorstream kafka --help' for usage.");
                return ExitCodes.Usage;
            }

            return await RunAsync(options, parseResult.InvocationConfiguration.Output, cancellationToken);
        });

        return command;
    }

    internal static async Task<int> RunAsync(KafkaOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var loggerFactory = StderrLogging.CreateFactory();
        var logger = loggerFactory.CreateLogger("ActorStream.Kafka");
        try
        {
            return await RunAsync(options, stdout, logger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGINT/SIGTERM while starting: everything started so far is disposed; a requested stop is a clean exit.
            logger.LogInformation("Stopped while starting");
            return ExitCodes.Success;
        }
    }

    private static async Task<int> RunAsync(KafkaOptions options, TextWriter stdout, ILogger logger, CancellationToken cancellationToken)
    {
        EmbeddedKafka kafka;
        try
        {
            kafka = EmbeddedKafka.Start(options.Brokers);
        }
        catch (EmbeddedKafkaException ex)
        {
            logger.LogError("Cannot start the embedded Kafka cluster: {Message}", ex.Message);
            return ExitCodes.Failure;
        }

        using (kafka)
        {
            try
            {
                foreach (var topic in options.Topics)
                {
                    kafka.CreateTopic(topic.Name, topic.Partitions, topic.ReplicationFactor);
                }
            }
            catch (EmbeddedKafkaException ex)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.Failure;
            }

            await using var control = await KafkaControlServer.TryStartAsync(kafka, options.ControlPort, logger, cancellationToken);
            if (control is null)
            {
                return ExitCodes.Failure;
            }

            logger.LogInformation(
                "Embedded Kafka with {Brokers} broker(s) at {BootstrapServers}, topics [{Topics}], control API at {ControlUrl}",
                kafka.BrokerCount,
                kafka.BootstrapServers,
                string.Join(", ", options.Topics.Select(t => $"{t.Name}:{t.Partitions}")),
                control.Url);

            await stdout.WriteLineAsync($"bootstrap.servers={kafka.BootstrapServers}");
            await stdout.WriteLineAsync($"control={control.Url}");
            await stdout.FlushAsync(CancellationToken.None);

            await control.WaitForShutdownAsync(cancellationToken);
            logger.LogInformation("Stopping embedded Kafka");
        }

        return ExitCodes.Success;
    }

    private static TopicSpec[] ParseTopics(ArgumentResult result)
    {
        var specs = new List<TopicSpec>();
        foreach (var token in result.Tokens)
        {
            var spec = TopicSpec.TryParse(token.Value, out var error);
            if (spec is null)
            {
                result.AddError($"--topic {error}.");
                continue;
            }

            var previous = specs.FirstOrDefault(s => s.Name == spec.Name);
            if (previous is not null && previous != spec)
            {
                result.AddError($"--topic '{spec.Name}' is given twice with different settings ({previous} and {spec}).");
                continue;
            }

            if (previous is null)
            {
                specs.Add(spec);
            }
        }

        return specs.ToArray();
    }
}

/// <summary>Validated options of <c>actorstream kafka</c>.</summary>
internal sealed record KafkaOptions(int Brokers, IReadOnlyList<TopicSpec> Topics, int ControlPort);
