using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Persistence;
using Config = Akka.Configuration.Config;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream db init [--config FILE] [--set path=value]...</c>: creates the journal, tag and
/// snapshot tables of the configured store (<c>actorstream.persistence</c>: SQLite file or
/// PostgreSQL) ahead of time, so production nodes can run with <c>auto-initialize = off</c> and no
/// DDL rights, then checks that both stores answer. Idempotent: existing tables are kept.
/// </summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config")
        {
            Description = "HOCON configuration file of the node (its actorstream.persistence block is used).",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Override one configuration key, repeatable: --set actorstream.persistence.provider=postgresql",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
        };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "How long to wait for the database, e.g. 30s.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(60),
            CustomParser = r => OptionParsing.Duration(r, "--timeout"),
        };
        var init = new Command("init", "Create the entity state tables (journal, tags, snapshots) of the configured store; safe to run again.")
        {
            config, set, timeout,
        };
        init.SetAction((parseResult, _) => InitAsync(
            parseResult.GetValue(config), parseResult.GetValue(set) ?? [], parseResult.GetValue(timeout),
            parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error));

        return new Command("db", "Entity state storage (Akka.Persistence.Sql on SQLite or PostgreSQL).")
        {
            init,
        };
    }

    internal static async Task<int> InitAsync(string? configFile, IReadOnlyList<string> overrides, TimeSpan timeout, TextWriter stdout, TextWriter stderr)
    {
        Config config;
        EntityStoreSettings settings;
        try
        {
            config = NodeConfig.Load(configFile, overrides);
            settings = EntityStoreSettings.FromConfig(config);
        }
        catch (Exception ex) when (ex is NodeConfigException or PersistenceConfigurationException)
        {
            await stderr.WriteLineAsync($"actorstream db init: error: {ex.Message}");
            return ExitCodes.Usage;
        }

        // A plain local actor system: only the persistence plugins, tables created now.
        var systemConfig = ConfigurationFactory.ParseString("""
                akka.actor.provider = local
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                actorstream.persistence.auto-initialize = on
                """)
            .WithFallback(config)
            .WithFallback(ActorStreamPersistence.SerializationConfig);
        var system = ActorSystem.Create("actorstream-db", systemConfig);
        try
        {
            await ActorStreamPersistence.Get(system).VerifyStoresAsync(timeout);
            await stdout.WriteLineAsync($"entity state tables ready: {settings.Describe()}");
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or PersistenceConfigurationException)
        {
            await stderr.WriteLineAsync($"actorstream db init: error: {settings.Describe()}: {ex.Message}");
            return ExitCodes.Failure;
        }
        finally
        {
            await system.Terminate();
        }
    }
}
