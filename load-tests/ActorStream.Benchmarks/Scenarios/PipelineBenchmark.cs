using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ActorStream.Benchmarks.Harness;
using ActorStream.Entities;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using ActorStream.TestKit;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Confluent.Kafka;

namespace ActorStream.Benchmarks.Scenarios;

/// <summary>
/// The whole pipeline (partition sources → offset tracking → sharded entity hosts → entity →
/// ack → batched commits) against a raw Confluent consume loop reading the same topic, for
/// several numbers of distinct keys (= live entities). Per key count: msgs/s, CPU-µs per message,
/// and the managed memory retained per live entity after the run.
/// </summary>
public sealed class PipelineBenchmark : IBenchmark
{
    private const string RawName = "raw-confluent";
    private const string PipelineName = "pipeline";

    private const string OutOption = "--out";
    private const string KeysOption = "--keys";
    private const string MessagesOption = "--messages";
    private const string PartitionsOption = "--partitions";
    private const string RoundsOption = "--rounds";
    private const string MaxInFlightOption = "--max-in-flight-per-partition";
    private const string TimeoutOption = "--run-timeout";

    private const int KeySize = 10;
    private const int ValueSize = 16;

    /// <inheritdoc />
    public string Name => "pipeline";

    /// <inheritdoc />
    public string Summary => "Pipeline throughput, CPU per message and memory per live entity vs a raw Confluent consume loop, for 1k/100k/1M keys.";

    /// <inheritdoc />
    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new(OutOption, "FILE", "JSON result file", null),
        new(KeysOption, "LIST", "comma-separated distinct key counts, one comparison each", "1000,100000,1000000"),
        new(MessagesOption, "N", "records per comparison (at least the key count: every key gets records)", "max(200000, keys)"),
        new(PartitionsOption, "P", "partitions of each topic", "32"),
        new(RoundsOption, "R", "measured rounds per key count (raw and pipeline interleaved); the median is reported", "3"),
        new(MaxInFlightOption, "N", "the pipeline's max-in-flight-per-partition", "reference.conf default"),
        new(TimeoutOption, "SECONDS", "a run that has not processed every record by then fails", "600"),
    ];

    /// <inheritdoc />
    public async Task<int> RunAsync(ParsedOptions options, CancellationToken cancellationToken)
    {
        var outFile = options.RequiredString(OutOption);
        var keyCounts = ParseKeys(options.OptionalString(KeysOption) ?? "1000,100000,1000000");
        var partitions = options.Int(PartitionsOption, 32, 1, EmbeddedKafka.MaxPartitions);
        var rounds = options.Int(RoundsOption, 3, 1, 100);
        int? maxInFlight = options.OptionalString(MaxInFlightOption) is null ? null : options.Int(MaxInFlightOption, 0, 1, 1_000_000);
        var timeout = TimeSpan.FromSeconds(options.Int(TimeoutOption, 600, 1, 36_000));
        var fixedMessages = options.OptionalString(MessagesOption) is null ? (int?)null : options.Int(MessagesOption, 0, 1, int.MaxValue);
        foreach (var keys in keyCounts)
        {
            var messages = fixedMessages ?? Math.Max(200_000, keys);
            if (messages < keys)
            {
                throw new UsageException($"{MessagesOption}: {messages} is less than {KeysOption} {keys}; every key needs at least one record");
            }

            TopicData.CheckFitsMock(messages, partitions, KeySize, ValueSize, 1000, MessagesOption, PartitionsOption, KeysOption);
        }

        var total = Stopwatch.StartNew();
        using var kafka = EmbeddedKafka.Start(1);
        var comparisons = new JsonArray();
        var tables = new StringBuilder();
        var allCommitted = true;
        foreach (var keys in keyCounts)
        {
            var messages = fixedMessages ?? Math.Max(200_000, keys);
            var topic = $"bench-pipeline-{keys}";
            kafka.CreateTopic(topic, partitions);
            Console.Error.WriteLine(FormattableString.Invariant($"pipeline benchmark: {keys:N0} keys, {messages:N0} records, {partitions} partitions"));
            var ends = Produce(kafka.BootstrapServers, topic, partitions, messages, keys);
            var context = new RunContext(kafka.BootstrapServers, topic, messages, keys, ends, maxInFlight, timeout);
            var runs = await InterleavedRunner.RunAsync([new RawLoop(context), new PipelineRun(context)], warmups: 1, rounds, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            var committed = runs.Single(r => r.Name == PipelineName).Rounds.All(r => r.Extra["all_committed"] is true);
            allCommitted &= committed;
            comparisons.Add(new JsonObject
            {
                ["keys"] = keys,
                ["messages"] = messages,
                ["variants"] = Report.Variants(runs, RawName, r => Aggregate(r)),
            });
            tables.AppendLine(FormattableString.Invariant($"### {keys:N0} keys, {messages:N0} records"));
            tables.AppendLine();
            tables.Append(Report.MarkdownTable(runs, RawName, Note));
            tables.AppendLine();
        }

        Report.WriteJson(outFile, new JsonObject
        {
            ["benchmark"] = Name,
            ["parameters"] = new JsonObject
            {
                ["partitions"] = partitions,
                ["rounds"] = rounds,
                ["warmup_passes"] = 1,
                ["key_size"] = KeySize,
                ["value"] = "JSON {\"seq\":n}, decoded by the pipeline into the entity's value type",
                ["entity"] = "RecordEntity<T> that counts and acks (no emits): the cost measured is the platform's",
                ["max_in_flight_per_partition"] = maxInFlight is { } m ? m : "reference.conf default",
                ["passivation"] = "off during the run, so every key is a live entity when memory is measured",
                ["measured_window"] = "raw: consumer creation + subscribe until N records; pipeline: Pipeline.Start until the entities acked N records (cluster join before, drain after)",
                ["retained_bytes_per_entity"] = "(managed heap after a full GC at the end of the run − before Pipeline.Start) / live entities",
                ["statistic"] = "median of the rounds; variants interleaved; full GC + 500 ms pause before every run",
            },
            ["machine"] = Report.Machine(),
            ["comparisons"] = comparisons,
            ["total_run_s"] = Report.Round(total.Elapsed.TotalSeconds, 1),
        });

        Console.Out.WriteLine(FormattableString.Invariant($"Pipeline benchmark: {partitions} partitions, embedded broker in-process, {Environment.ProcessorCount} cores, median of {rounds} rounds"));
        Console.Out.WriteLine();
        Console.Out.Write(tables.ToString());
        Console.Out.WriteLine(FormattableString.Invariant($"Results written to {Path.GetFullPath(outFile)} (total {total.Elapsed.TotalSeconds:N0} s)"));
        if (!allCommitted)
        {
            Console.Error.WriteLine("FAILED: the pipeline did not commit every partition's end offset after a run (all_committed in the JSON)");
            return 1;
        }

        return 0;
    }

    private static IReadOnlyList<int> ParseKeys(string list)
    {
        var parts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var keys = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 1)
            {
                throw new UsageException($"{KeysOption}: '{part}' is not a positive whole number (expected e.g. 1000,100000,1000000)");
            }

            keys.Add(k);
        }

        return keys.Count == 0 ? throw new UsageException($"{KeysOption}: give at least one key count") : keys;
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Aggregate(VariantRuns runs)
    {
        if (runs.Name != PipelineName)
        {
            yield break;
        }

        yield return KeyValuePair.Create<string, JsonNode?>("retained_bytes_per_entity", Report.Round(Stats.Median(runs.Rounds.Select(r => (double)r.Extra["retained_bytes_per_entity"])), 0));
        yield return KeyValuePair.Create<string, JsonNode?>("live_entities", (long)runs.Rounds[0].Extra["live_entities"]);
        yield return KeyValuePair.Create<string, JsonNode?>("all_committed", runs.Rounds.All(r => r.Extra["all_committed"] is true));
        yield return KeyValuePair.Create<string, JsonNode?>("drain_ms", Report.Round(Stats.Median(runs.Rounds.Select(r => (double)r.Extra["drain_ms"])), 0));
    }

    private static string Note(VariantRuns runs) => runs.Name != PipelineName
        ? ""
        : FormattableString.Invariant(
            $"{Stats.Median(runs.Rounds.Select(r => (double)r.Extra["retained_bytes_per_entity"])):N0} B retained per live entity ({(long)runs.Rounds[0].Extra["live_entities"]:N0} entities); all_committed={runs.Rounds.All(r => r.Extra["all_committed"] is true).ToString().ToLowerInvariant()}");

    /// <summary>Record i has key k-(i mod keys) and value {"seq":i}; keys spread over partitions by murmur2 as in production.</summary>
    private static IReadOnlyDictionary<TopicPartition, long> Produce(string bootstrap, string topic, int partitions, int messages, int keys)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            BatchNumMessages = 1000,
            Partitioner = Partitioner.Murmur2Random,
        }).Build();
        long failed = 0;
        for (var i = 0; i < messages; i++)
        {
            var key = Encoding.UTF8.GetBytes(FormattableString.Invariant($"k-{i % keys:D8}"));
            var value = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{{\"seq\":{i}}}"));
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value }, r =>
                    {
                        if (r.Error.IsError)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(2));
        if (Interlocked.Read(ref failed) > 0)
        {
            throw new BenchmarkFailedException($"{failed} of {messages} records were not delivered to {topic}");
        }

        var ends = new Dictionary<TopicPartition, long>();
        foreach (var (tp, (low, high)) in TopicData.Watermarks(bootstrap, topic, partitions))
        {
            if (low != 0)
            {
                throw new BenchmarkFailedException($"{tp} starts at {low}: the embedded broker dropped data; use more partitions");
            }

            ends[tp] = high;
        }

        var sum = ends.Values.Sum();
        return sum == messages ? ends : throw new BenchmarkFailedException($"{topic} holds {sum} records, expected {messages}");
    }

    private sealed record RunContext(string BootstrapServers, string Topic, int Messages, int Keys, IReadOnlyDictionary<TopicPartition, long> Ends, int? MaxInFlight, TimeSpan Timeout)
    {
        public Dictionary<string, string> ConsumerProperties { get; } = new()
        {
            ["auto.offset.reset"] = "earliest",
            ["partition.assignment.strategy"] = "cooperative-sticky",
            ["enable.auto.commit"] = "false",
            ["enable.auto.offset.store"] = "false",
            ["fetch.wait.max.ms"] = "500",
            ["fetch.queue.backoff.ms"] = "10",
        };
    }

    /// <summary>Baseline: a plain Confluent consume loop on a dedicated thread, no commits, values untouched.</summary>
    private sealed class RawLoop(RunContext context) : IVariant
    {
        public string Name => RawName;

        public Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken) =>
            Task.Factory.StartNew(() =>
            {
                var config = new Dictionary<string, string>(context.ConsumerProperties)
                {
                    ["bootstrap.servers"] = context.BootstrapServers,
                    ["group.id"] = $"bench-raw-{runIndex}-{Guid.NewGuid():N}",
                };
                var probe = Probe.Start();
                using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
                consumer.Subscribe(context.Topic);
                long count = 0;
                while (count < context.Messages)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false })
                    {
                        count++;
                    }
                    else if (probe.Elapsed > context.Timeout)
                    {
                        throw new BenchmarkFailedException($"{RawName}: {count} of {context.Messages} records after {context.Timeout}");
                    }
                }

                var sample = probe.Stop(count);
                consumer.Close();
                return new VariantRun(sample, new Dictionary<string, object>());
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>A fresh single-node ActorStream cluster per run, running one pipeline over the topic.</summary>
    private sealed class PipelineRun(RunContext context) : IVariant
    {
        public string Name => PipelineName;

        public async Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken)
        {
            var properties = string.Join("\n", context.ConsumerProperties.Select(kv => $"\"{kv.Key}\" = \"{kv.Value}\""));
            var system = ActorSystem.Create($"bench-{runIndex}", ConfigurationFactory.ParseString($$"""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters = off
                akka.log-dead-letters-during-shutdown = off
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                akka.cluster.sharding.state-store-mode = ddata
                akka.cluster.sharding.passivate-idle-entity-after = off
                actorstream.kafka.bootstrap-servers = "{{context.BootstrapServers}}"
                actorstream.kafka.consumer.properties { {{properties}} }
                """));
            try
            {
                var cluster = Cluster.Get(system);
                var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                cluster.RegisterOnMemberUp(() => up.TrySetResult());
                cluster.Join(cluster.SelfAddress);
                await up.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                ActorStreamExtension.Get(system).Configure(entities: new EntityRegistry().Register<CountingEntity>("Counting"));

                var builder = new PipelineSettingsBuilder($"bench-{runIndex}").Topic(context.Topic).Entity("Counting")
                    .GroupId($"bench-pipeline-{runIndex}-{Guid.NewGuid():N}");
                if (context.MaxInFlight is { } m)
                {
                    builder.MaxInFlightPerPartition(m);
                }

                var settings = builder.Build();
                CountingEntity.Reset();
                Probe.FullGc();
                var before = GC.GetTotalMemory(forceFullCollection: true);
                var probe = Probe.Start();
                var pipeline = Pipeline.Start(system, settings);
                while (CountingEntity.Processed < context.Messages)
                {
                    if (probe.Elapsed > context.Timeout || pipeline.Completion.IsCompleted)
                    {
                        throw new BenchmarkFailedException(FormattableString.Invariant(
                            $"{PipelineName}: {CountingEntity.Processed} of {context.Messages} records after {probe.Elapsed.TotalSeconds:N0} s{(pipeline.Completion.IsFaulted ? $"; the pipeline failed: {pipeline.Completion.Exception?.GetBaseException().Message}" : "")}"));
                    }

                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                }

                var sample = probe.Stop(context.Messages);
                var after = GC.GetTotalMemory(forceFullCollection: true);
                var live = CountingEntity.LiveEntities;
                var drain = Stopwatch.StartNew();
                await pipeline.StopAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                var drainMs = drain.Elapsed.TotalMilliseconds;
                var committed = TopicData.Committed(context.BootstrapServers, settings.GroupId, context.Ends.Keys);
                // A partition without records (few keys over many partitions) has nothing to commit.
                var allCommitted = context.Ends.All(e => e.Value == 0 || (committed.TryGetValue(e.Key, out var c) && c == e.Value));
                return new VariantRun(sample, new Dictionary<string, object>
                {
                    ["retained_bytes_per_entity"] = live == 0 ? 0.0 : (double)(after - before) / live,
                    ["live_entities"] = live,
                    ["all_committed"] = allCommitted,
                    ["drain_ms"] = drainMs,
                });
            }
            finally
            {
                // Shutting down a node with a million live entities takes minutes (sharding hands every entity off);
                // wait for it, so the next run does not share the machine with this teardown.
                await system.Terminate().WaitAsync(TimeSpan.FromMinutes(15), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The record value of the benchmark topic.</summary>
    public sealed record SeqValue(long Seq);

    /// <summary>Counts records and live instances; no emits, no I/O: what is measured is the platform.</summary>
    public sealed class CountingEntity : RecordEntity<SeqValue>
    {
        private static long _processed;
        private static long _live;
        private bool _counted;

        /// <summary>Records handled since <see cref="Reset"/>.</summary>
        public static long Processed => Interlocked.Read(ref _processed);

        /// <summary>Entity actors that handled at least one record since <see cref="Reset"/>.</summary>
        public static long LiveEntities => Interlocked.Read(ref _live);

        /// <summary>Zeroes the counters before a run.</summary>
        public static void Reset()
        {
            Interlocked.Exchange(ref _processed, 0);
            Interlocked.Exchange(ref _live, 0);
        }

        /// <inheritdoc />
        protected override Task HandleAsync(SeqValue value, RecordContext context)
        {
            if (!_counted)
            {
                _counted = true;
                Interlocked.Increment(ref _live);
            }

            Interlocked.Increment(ref _processed);
            return Task.CompletedTask;
        }
    }
}
