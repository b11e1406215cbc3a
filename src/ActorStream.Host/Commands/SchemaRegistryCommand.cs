using System.CommandLine;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.SchemaRegistry;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream schema-registry [--port N] [--config FILE] [--set path=value]...</c>: a standalone Confluent-compatible
/// Schema Registry (JSON Schema) on SQLite or PostgreSQL, configured under <c>actorstream.schema-registry</c>.
/// </summary>
/// <remarks>
/// Stdout contract: line 1 is exactly <c>url=http://HOST:PORT</c>, written once the registry serves requests; nothing
/// else goes to stdout (logs go to stderr). SIGINT/SIGTERM stop it cleanly with exit code 0. Configuration errors exit
/// with code 2 and name the key; storage or bind failures exit with code 1.
/// </remarks>
internal static class SchemaRegistryCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port")
        {
            Description = "TCP port (0 picks a free one); overrides actorstream.schema-registry.port.",
            CustomParser = r => OptionParsing.Int(r, "--port", 0, 65535, "a TCP port"),
        };
        var config = new Option<string?>("--config")
        {
            Description = "HOCON configuration file (keys under actorstream.schema-registry).",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Override one configuration key, repeatable: --set actorstream.schema-registry.storage.sqlite.path=/tmp/registry.db",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
        };
        var command = new Command(
            "schema-registry",
            "Run a Confluent-compatible Schema Registry (JSON Schema; SQLite or PostgreSQL storage). Prints 'url=<address>' on stdout; stop with Ctrl+C or SIGTERM.")
        {
            port, config, set,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // System.CommandLine installs its SIGINT/SIGTERM handler only once the action returns its task;
            // yield first, so a signal during start-up is a clean stop, not the runtime's default exit.
            await Task.Yield();
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            SchemaRegistrySettings settings;
            try
            {
                settings = SchemaRegistrySettings.Create(NodeConfig.Load(parseResult.GetValue(config), parseResult.GetValue(set) ?? []));
                if (parseResult.GetValue(port) is { } chosen)
                {
                    settings = settings.WithPort(chosen);
                }
            }
            catch (Exception ex) when (ex is NodeConfigException or SchemaRegistryConfigurationException)
            {
                await stderr.WriteLineAsync($"actorstream schema-registry: error: {ex.Message}");
                return ExitCodes.Usage;
            }

            return await RunAsync(settings, stdout, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(SchemaRegistrySettings settings, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var loggerFactory = StderrLogging.CreateFactory();
        var logger = loggerFactory.CreateLogger("ActorStream.SchemaRegistry");
        SchemaRegistryServer server;
        try
        {
            server = await SchemaRegistryServer.StartAsync(settings, loggerFactory, cancellationToken);
        }
        catch (SchemaRegistryStartException ex)
        {
            logger.LogError("Cannot start the schema registry: {Message}", ex.Message);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Stopped while starting");
            return ExitCodes.Success;
        }

        await using (server)
        {
            await stdout.WriteLineAsync($"url={server.Url.ToString().TrimEnd('/')}");
            await stdout.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Stopping the schema registry");
            }
        }

        return ExitCodes.Success;
    }
}
