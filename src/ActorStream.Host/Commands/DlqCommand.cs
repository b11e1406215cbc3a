using System.CommandLine;
using System.Globalization;
using System.Text;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream dlq list|replay --topic DLQ</c>: read dead letters with their context, and replay
/// selected ones to their original topic — key, value and original headers preserved, the
/// <c>actorstream.dlq.*</c> context removed, and the replayed record marked with
/// <c>actorstream.replayed.from</c> / <c>actorstream.replayed.at</c>. A target other than the
/// original topic is refused unless <c>--allow-other-topic</c>.
/// </summary>
internal static class DlqCommand
{
    private const string DlqPrefix = "actorstream.dlq.";
    private const string ReplayedFrom = "actorstream.replayed.from";
    private const string ReplayedAt = "actorstream.replayed.at";

    public static Command Create()
    {
        var command = new Command("dlq", "Dead-letter topics: list dead letters with their context, replay them to their original topic.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Replay());
        return command;
    }

    private static Option<string> TopicOption() => new("--topic") { Description = "The dead-letter topic, e.g. accounts.dlq.", Required = true };

    private static Option<string[]> SelectOption() => new("--record")
    {
        Description = "A dead letter to act on, as PARTITION:OFFSET of the dead-letter topic (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    private static Command List()
    {
        var (config, set, topic, select) = (ClusterConfig.ConfigOption(), ClusterConfig.SetOption(), TopicOption(), SelectOption());
        var limit = new Option<int>("--limit") { Description = "Show at most this many (oldest first).", DefaultValueFactory = _ => 100 };
        var command = new Command("list", "List dead letters: where they came from, why they failed, their key and value.") { config, set, topic, select, limit };
        command.SetAction((parse, _) => RunAsync(parse, "list", config, set, async (props, output) =>
        {
            if (parse.GetValue(limit) < 1)
            {
                throw new NodeConfigException($"--limit: must be >= 1; got {parse.GetValue(limit)}");
            }

            var records = Read(props, parse.GetValue(topic)!, Selection(parse.GetValue(select) ?? []), parse.GetValue(limit));
            foreach (var r in records)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{r.TopicPartitionOffset.Partition.Value}:{r.Offset.Value}  from {Header(r, "original.topic")}[{Header(r, "original.partition")}]@{Header(r, "original.offset")}  stage={Header(r, "stage")}  entity={Header(r, "entity.type")}/{Header(r, "entity.id")}  attempts={Header(r, "attempts")}  failed.at={Header(r, "failed.at")}"));
                await output.WriteLineAsync($"    {Header(r, "exception.type")}: {Header(r, "exception.message")}");
                await output.WriteLineAsync($"    key={Show(r.Message.Key)} value={Show(r.Message.Value)}");
            }

            await output.WriteLineAsync($"{records.Count} dead letter(s)");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Replay()
    {
        var (config, set, topic, select) = (ClusterConfig.ConfigOption(), ClusterConfig.SetOption(), TopicOption(), SelectOption());
        var all = new Option<bool>("--all") { Description = "Replay every dead letter of the topic (instead of --record)." };
        var to = new Option<string?>("--to") { Description = "Target topic (default: each record's original topic)." };
        var allowOther = new Option<bool>("--allow-other-topic") { Description = "Allow a --to target other than a record's original topic." };
        var command = new Command("replay", "Produce dead letters again to their original topic, marked as replayed.") { config, set, topic, select, all, to, allowOther };
        command.SetAction((parse, _) => RunAsync(parse, "replay", config, set, async (props, output) =>
        {
            var selection = Selection(parse.GetValue(select) ?? []);
            if (selection.Count == 0 && !parse.GetValue(all))
            {
                throw new NodeConfigException("choose what to replay: --record PARTITION:OFFSET (repeatable) or --all");
            }

            if (selection.Count > 0 && parse.GetValue(all))
            {
                throw new NodeConfigException("--record and --all exclude each other");
            }

            var dlqTopic = parse.GetValue(topic)!;
            var records = Read(props, dlqTopic, selection, int.MaxValue);
            var missing = selection.Where(s => !records.Any(r => r.Partition.Value == s.Partition && r.Offset.Value == s.Offset)).ToList();
            if (missing.Count > 0)
            {
                throw new NodeConfigException($"--record: {string.Join(", ", missing.Select(m => $"{m.Partition}:{m.Offset}"))} not found in {dlqTopic}");
            }

            var target = parse.GetValue(to);
            foreach (var r in records)
            {
                var original = Header(r, "original.topic");
                if (original.Length == 0)
                {
                    throw new NodeConfigException($"{dlqTopic} {r.Partition.Value}:{r.Offset.Value} has no {DlqPrefix}original.topic header: not an ActorStream dead letter");
                }

                var cut = new[] { "value", "headers", "key" }.Where(part => Header(r, $"{part}.truncated") == "true").ToList();
                if (cut.Count > 0)
                {
                    // Cut to fit the DLQ: replaying it would produce something other than the original.
                    throw new NodeConfigException($"{dlqTopic} {r.Partition.Value}:{r.Offset.Value} was cut to fit the DLQ ({string.Join(", ", cut)} truncated): it cannot be replayed; "
                        + $"the original is {original}[{Header(r, "original.partition")}]@{Header(r, "original.offset")} while retention keeps it");
                }

                if (target is not null && target != original && !parse.GetValue(allowOther))
                {
                    throw new NodeConfigException($"--to {target}: {dlqTopic} {r.Partition.Value}:{r.Offset.Value} came from {original}; replaying elsewhere needs --allow-other-topic");
                }
            }

            var producerConfig = new ProducerConfig(props) { EnableIdempotence = true, Acks = Acks.All, Partitioner = Partitioner.Murmur2Random };
            using var producer = new ProducerBuilder<byte[]?, byte[]?>(producerConfig).Build();
            foreach (var r in records)
            {
                var destination = target ?? Header(r, "original.topic");
                var headers = new Headers();
                foreach (var h in r.Message.Headers ?? [])
                {
                    if (!h.Key.StartsWith(DlqPrefix, StringComparison.Ordinal))
                    {
                        headers.Add(h.Key, h.GetValueBytes());
                    }
                }

                headers.Add(ReplayedFrom, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{dlqTopic}/{r.Partition.Value}@{r.Offset.Value}")));
                headers.Add(ReplayedAt, Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
                var delivered = await producer.ProduceAsync(destination, new Message<byte[]?, byte[]?> { Key = r.Message.Key, Value = r.Message.Value, Headers = headers });
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"replayed {dlqTopic} {r.Partition.Value}:{r.Offset.Value} → {delivered.Topic}[{delivered.Partition.Value}]@{delivered.Offset.Value}"));
            }

            await output.WriteLineAsync($"{records.Count} dead letter(s) replayed");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static List<(int Partition, long Offset)> Selection(IEnumerable<string> values)
    {
        var result = new List<(int, long)>();
        foreach (var value in values)
        {
            var parts = value.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var o))
            {
                throw new NodeConfigException($"--record '{value}' is invalid; expected PARTITION:OFFSET, e.g. 3:17");
            }

            result.Add((p, o));
        }

        return result;
    }

    /// <summary>Reads the topic from the beginning to its current end (no group, nothing committed).</summary>
    private static List<ConsumeResult<byte[]?, byte[]?>> Read(Dictionary<string, string> props, string topic, List<(int Partition, long Offset)> selection, int limit) =>
        DeadLetterReader.Read(props, topic, (low, _) => low)
            .Where(r => selection.Count == 0 || selection.Contains((r.Partition.Value, r.Offset.Value)))
            .OrderBy(r => r.Message.Timestamp.UnixTimestampMs).ThenBy(r => r.Partition.Value).ThenBy(r => r.Offset.Value)
            .Take(limit)
            .ToList();

    private static string Header(ConsumeResult<byte[]?, byte[]?> r, string name) =>
        r.Message.Headers is { } h && h.TryGetLastBytes(DlqPrefix + name, out var bytes) ? Encoding.UTF8.GetString(bytes) : "";

    private static string Show(byte[]? bytes)
    {
        if (bytes is null)
        {
            return "(null)";
        }

        var text = Encoding.UTF8.GetString(bytes);
        text = text.Length > 200 ? text[..200] + "…" : text;
        return text.All(c => !char.IsControl(c)) ? text : Convert.ToBase64String(bytes.Take(150).ToArray()) + " (base64)";
    }

    private static async Task<int> RunAsync(ParseResult parse, string sub, Option<string?> config, Option<string[]> set, Func<Dictionary<string, string>, TextWriter, Task<int>> action)
    {
        await Task.Yield();
        try
        {
            var effective = ClusterConfig.Load(parse.GetValue(config), parse.GetValue(set) ?? []);
            return await action(ClusterConfig.ClientProperties(effective), parse.InvocationConfiguration.Output);
        }
        catch (Exception ex) when (ex is NodeConfigException or KafkaConfigurationException)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"actorstream dlq {sub}: error: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (KafkaException ex)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"actorstream dlq {sub}: error: Kafka: {ex.Error.Reason}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable}");
            return ExitCodes.Failure;
        }
    }
}
