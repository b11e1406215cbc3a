using System.CommandLine;
using System.Globalization;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Kafka.Settings;
using ActorStream.Pipelines.Settings;
using ActorStream.TestKit;
using ActorStream.Topics;
using Akka.Configuration;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream topics plan|apply|list|describe</c>: topics as code. <c>plan</c> compares the
/// declared topics (<c>actorstream.topics</c>, plus the derived topics of the pipelines) with the
/// cluster and exits 1 when they differ, so it can gate a deployment; <c>apply</c> creates missing
/// topics, raises partition counts (never lowers them; keyed topics only with
/// <c>--allow-key-remap</c>) and sets configs, through the AdminClient — or, for the embedded
/// broker, which has no CreateTopics API, through its control port (<c>--control</c>).
/// </summary>
internal static class TopicsCommand
{
    public static Command Create()
    {
        var command = new Command("topics", "Topics as code: compare the declared topics with the cluster and apply the differences.");
        command.Subcommands.Add(Plan());
        command.Subcommands.Add(Apply());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Describe());
        return command;
    }

    private static (Option<string?> Config, Option<string[]> Set) ConfigOptions() => (ClusterConfig.ConfigOption(), ClusterConfig.SetOption());

    private static Command Plan()
    {
        var (config, set) = ConfigOptions();
        var command = new Command("plan", "Print the differences between the declared topics and the cluster; exit 1 if there are any.") { config, set };
        command.SetAction((parse, _) => RunAsync(parse, config, set, async (ctx, output) =>
        {
            var plan = TopicPlanner.Plan(ctx.Declared, await ctx.Admin.DescribeAsync(ctx.Declared.Select(t => t.Name)));
            await PrintPlanAsync(plan, output);
            return plan.InSync ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    private static Command Apply()
    {
        var (config, set) = ConfigOptions();
        var allowRemap = new Option<bool>("--allow-key-remap")
        {
            Description = "Also add partitions to keyed topics (keys then map to other partitions: per-key order breaks across the change).",
        };
        var control = new Option<string?>("--control")
        {
            Description = "Control URL of an `actorstream kafka` broker (its second output line): create topics through it, as the embedded broker has no CreateTopics API.",
        };
        var command = new Command("apply", "Create missing topics, raise partition counts and set configs to match the declarations.") { config, set, allowRemap, control };
        command.SetAction((parse, _) => RunAsync(parse, config, set, async (ctx, output) =>
        {
            var plan = TopicPlanner.Plan(ctx.Declared, await ctx.Admin.DescribeAsync(ctx.Declared.Select(t => t.Name)));
            if (plan.InSync)
            {
                await output.WriteLineAsync("topics are in sync with the declarations; nothing to apply");
                return ExitCodes.Success;
            }

            var controlUrl = parse.GetValue(control);
            using var controlClient = controlUrl is null ? null : new EmbeddedKafkaControlClient(ParseControl(controlUrl));
            var failed = 0;
            string? adminUnavailable = null;
            foreach (var change in plan.Changes)
            {
                // One admin request that found no controller means all of them would wait as long.
                var result = adminUnavailable is not null && controlClient is null && change.Kind is TopicChangeKind.Create or TopicChangeKind.AddPartitions
                    ? (Ok: false, Detail: adminUnavailable)
                    : await ApplyAsync(change, ctx.Admin, controlClient, parse.GetValue(allowRemap));
                if (!result.Ok && result.Detail?.Contains("--control", StringComparison.Ordinal) == true)
                {
                    adminUnavailable = result.Detail;
                }

                await output.WriteLineAsync($"{(result.Ok ? "applied" : "NOT applied")}  {change.Topic}: {change.Description}{(result.Detail is null ? "" : $" — {result.Detail}")}");
                failed += result.Ok ? 0 : 1;
            }

            foreach (var note in plan.Notes)
            {
                await output.WriteLineAsync($"note  {note}");
            }

            return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    private static Command List()
    {
        var (config, set) = ConfigOptions();
        var command = new Command("list", "List the cluster's topics: partitions, replication, and whether they are declared.") { config, set };
        command.SetAction((parse, _) => RunAsync(parse, config, set, async (ctx, output) =>
        {
            var cluster = await ctx.Admin.DescribeAsync();
            var declared = ctx.Declared.ToDictionary(t => t.Name);
            await output.WriteLineAsync($"{"TOPIC",-40} {"PARTITIONS",10} {"REPLICAS",8}  DECLARED");
            foreach (var topic in cluster.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                var origin = declared.TryGetValue(topic.Name, out var d) ? Origin(d.Origin) : "-";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{topic.Name,-40} {topic.Partitions,10} {topic.ReplicationFactor,8}  {origin}"));
            }

            foreach (var missing in ctx.Declared.Where(t => !cluster.ContainsKey(t.Name)))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{missing.Name,-40} {"missing",10} {"",8}  {Origin(missing.Origin)}"));
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Describe()
    {
        var (config, set) = ConfigOptions();
        var names = new Argument<string[]>("topic") { Description = "Topics to describe (default: every declared topic).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("describe", "Show declared and actual shape and configs of topics.") { config, set, names };
        command.SetAction((parse, _) => RunAsync(parse, config, set, async (ctx, output) =>
        {
            var wanted = parse.GetValue(names) is { Length: > 0 } given ? given : ctx.Declared.Select(t => t.Name).ToArray();
            var cluster = await ctx.Admin.DescribeAsync(wanted);
            var declared = ctx.Declared.ToDictionary(t => t.Name);
            var exit = ExitCodes.Success;
            foreach (var name in wanted)
            {
                await output.WriteLineAsync(name);
                var actual = cluster.GetValueOrDefault(name);
                declared.TryGetValue(name, out var decl);
                if (actual is null && decl is null)
                {
                    await output.WriteLineAsync("  not in the cluster and not declared");
                    exit = ExitCodes.Failure;
                    continue;
                }

                await output.WriteLineAsync($"  declared:  {(decl is null ? "no" : $"{decl.Partitions} partitions, replication {(decl.ReplicationFactor < 0 ? "broker default" : decl.ReplicationFactor)}, {(decl.Keyed ? "keyed" : "not keyed")} ({Origin(decl.Origin)})")}");
                await output.WriteLineAsync($"  cluster:   {(actual is null ? "missing" : $"{actual.Partitions} partitions, replication {actual.ReplicationFactor}")}");
                foreach (var (key, value) in decl?.BrokerConfigs() ?? new Dictionary<string, string>())
                {
                    var current = actual?.Configs is null ? "(not described by the broker)" : actual.Configs.GetValueOrDefault(key) ?? "(unset)";
                    await output.WriteLineAsync($"  {key,-22} declared {value,-16} cluster {current}");
                }
            }

            return exit;
        }));
        return command;
    }

    private static async Task<(bool Ok, string? Detail)> ApplyAsync(TopicChange change, KafkaTopicAdmin admin, EmbeddedKafkaControlClient? control, bool allowRemap)
    {
        if (!change.Applicable)
        {
            return (false, "needs a decision by a person");
        }

        if (change.Dangerous && !allowRemap)
        {
            return (false, "refused: pass --allow-key-remap to add partitions to a keyed topic");
        }

        try
        {
            switch (change.Kind)
            {
                case TopicChangeKind.Create when control is not null:
                    await control.CreateTopicAsync(change.Topic, change.Declared.Partitions, Math.Max(1, change.Declared.ReplicationFactor));
                    return (true, "created through the embedded broker's control port (configs are not kept by the embedded broker)");
                case TopicChangeKind.Create:
                    await admin.CreateAsync(change.Declared);
                    return (true, null);
                case TopicChangeKind.AddPartitions when control is not null:
                    return (false, "the embedded broker cannot add partitions to an existing topic");
                case TopicChangeKind.AddPartitions:
                    await admin.AddPartitionsAsync(change.Topic, change.Declared.Partitions);
                    return (true, null);
                case TopicChangeKind.SetConfig:
                    await admin.SetConfigAsync(change.Topic, change.ConfigKey!, change.ConfigValue!);
                    return (true, null);
                default:
                    return (false, "not applicable");
            }
        }
        catch (Confluent.Kafka.Admin.CreateTopicsException ex) when (ex.Results.Any(r => r.Error.Code == Confluent.Kafka.ErrorCode.Local_UnknownProtocol || r.Error.Code == Confluent.Kafka.ErrorCode.UnsupportedVersion || r.Error.Code == Confluent.Kafka.ErrorCode.InvalidRequest))
        {
            return (false, $"the broker does not create topics ({ex.Results[0].Error.Reason}); for `actorstream kafka`, pass its control URL with --control");
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            // The embedded mock announces no controller, so admin requests time out waiting for one.
            var noAdmin = ex.Error.Code is Confluent.Kafka.ErrorCode.Local_UnknownProtocol or Confluent.Kafka.ErrorCode.UnsupportedVersion
                || ex.Error.Reason.Contains("controller", StringComparison.OrdinalIgnoreCase);
            return (false, $"the broker refused: {ex.Error.Reason}" + (noAdmin
                ? "; the cluster offers no admin controller (the embedded broker has none): for `actorstream kafka`, pass its control URL with --control" : ""));
        }
        catch (EmbeddedKafkaException ex)
        {
            return (false, $"the control port refused: {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            return (false, $"the control port is unreachable: {ex.Message}");
        }
    }

    private static async Task PrintPlanAsync(TopicPlan plan, TextWriter output)
    {
        if (plan.InSync)
        {
            await output.WriteLineAsync("topics are in sync with the declarations");
        }

        foreach (var change in plan.Changes)
        {
            var marker = !change.Applicable ? "!" : change.Dangerous ? "~" : change.Kind == TopicChangeKind.Create ? "+" : "*";
            await output.WriteLineAsync($"{marker} {change.Topic}: {change.Description}");
        }

        foreach (var note in plan.Notes)
        {
            await output.WriteLineAsync($"note  {note}");
        }

        if (!plan.InSync)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync("+ create   * change   ~ change that needs --allow-key-remap   ! needs a decision by a person (apply cannot make it)");
        }
    }

    private static string Origin(TopicOrigin origin) => origin switch
    {
        TopicOrigin.Declared => "declared",
        TopicOrigin.Derived => "derived from topic-defaults",
        _ => "derived dead-letter topic",
    };

    private static Uri ParseControl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new NodeConfigException($"--control: '{url}' is not an http URL; use the control=... line printed by `actorstream kafka`");

    private sealed record Context(IReadOnlyList<TopicSettings> Declared, KafkaTopicAdmin Admin);

    private static async Task<int> RunAsync(ParseResult parse, Option<string?> configOption, Option<string[]> setOption, Func<Context, TextWriter, Task<int>> action)
    {
        await Task.Yield();
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var name = $"actorstream topics {parse.CommandResult.Command.Name}";
        try
        {
            var effective = ClusterConfig.Load(parse.GetValue(configOption), parse.GetValue(setOption) ?? []);
            IReadOnlyList<TopicSettings> declared;
            try
            {
                declared = TopicDeclarations.FromConfig(effective, PipelineSettings.FromConfig(effective));
            }
            catch (Exception ex) when (ex is TopicConfigurationException or PipelineConfigurationException)
            {
                throw new NodeConfigException(ex.Message);
            }

            using var admin = KafkaTopicAdmin.Create(effective, NodeConfig.TopicCheckTimeout(effective));
            return await action(new Context(declared, admin), output);
        }
        catch (NodeConfigException ex)
        {
            await error.WriteLineAsync($"{name}: error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (KafkaConfigurationException ex)
        {
            await error.WriteLineAsync($"{name}: error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            await error.WriteLineAsync($"{name}: error: cannot reach Kafka: {ex.Error.Reason}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable}");
            return ExitCodes.Failure;
        }
    }
}
