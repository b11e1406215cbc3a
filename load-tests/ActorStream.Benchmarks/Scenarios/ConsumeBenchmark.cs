using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ActorStream.Benchmarks.Harness;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using ActorStream.TestKit;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace ActorStream.Benchmarks.Scenarios;

/// <summary>
/// Consume throughput of our sources against a raw Confluent consume loop, all reading the same
/// pre-produced topic from the beginning on one in-process embedded broker, each run in a fresh
/// consumer group:
/// <list type="bullet">
/// <item><c>raw-confluent</c>: <c>IConsumer.Consume(timeout)</c> until N records, no commits (baseline).</item>
/// <item><c>plain-source</c>: <c>KafkaConsumer.PlainSource(...).Take(N).RunWith(Sink.Ignore)</c>.</item>
/// <item><c>committable-batched</c>: <c>KafkaConsumer.CommittableSource</c> → offsets → <c>Committer.Sink</c>
/// (reference.conf defaults: max-batch 1000, max-interval 1 s), then <c>DrainAndShutdown</c> and a
/// check that the group committed every partition's end offset.</item>
/// </list>
/// </summary>
public sealed class ConsumeBenchmark : IBenchmark
{
    private const string Topic = "bench-consume";
    private const int KeySize = 8;
    private const string RawName = "raw-confluent";
    private const string PlainName = "plain-source";
    private const string CommittableName = "committable-batched";

    private const string OutOption = "--out";
    private const string MessagesOption = "--messages";
    private const string PartitionsOption = "--partitions";
    private const string ValueSizeOption = "--value-size";
    private const string RoundsOption = "--rounds";
    private const string WarmupOption = "--warmup";
    private const string VariantsOption = "--variants";
    private const string LingerOption = "--linger-ms";
    private const string BatchRecordsOption = "--batch-records";
    private const string MaxBufferedOption = "--max-buffered-per-partition";
    private const string FetchWaitOption = "--fetch-wait-max-ms";
    private const string FetchQueueBackoffOption = "--fetch-queue-backoff-ms";
    private const string DebugOption = "--librdkafka-debug";
    private const string TimeoutOption = "--run-timeout";

    private const int DefaultMessages = 400_000;
    private const int DefaultPartitions = 16;
    private const int DefaultValueSize = 100;
    private const int DefaultRounds = 5;
    private const int DefaultWarmups = 2;
    private const int DefaultLingerMs = 5;
    private const int DefaultBatchRecords = 1000;
    private const int DefaultFetchWaitMs = 500;
    private const int DefaultFetchQueueBackoffMs = 10;
    private const int DefaultTimeoutSeconds = 120;

    private static readonly string[] AllVariants = [RawName, PlainName, CommittableName];

    /// <inheritdoc />
    public string Name => "consume";

    /// <inheritdoc />
    public string Summary =>
        "Consume throughput and CPU per message: raw Confluent consumer vs PlainSource vs CommittableSource + Committer.Sink, on one embedded broker.";

    /// <inheritdoc />
    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new(OutOption, "FILE", "JSON result file", null),
        new(MessagesOption, "N", "records produced once and consumed from the beginning by every run", Invariant(DefaultMessages)),
        new(PartitionsOption, "P", "partitions of the topic", Invariant(DefaultPartitions)),
        new(ValueSizeOption, "BYTES", $"value size in bytes (keys are {KeySize} bytes)", Invariant(DefaultValueSize)),
        new(RoundsOption, "R", "measured rounds, variants interleaved; the median is reported", Invariant(DefaultRounds)),
        new(WarmupOption, "W", "interleaved warm-up passes before the rounds (JIT tiering, connection set-up)", Invariant(DefaultWarmups)),
        new(VariantsOption, "LIST", $"comma-separated subset of {string.Join(",", AllVariants)}", "all"),
        new(BatchRecordsOption, "N", "records per producer batch (batch.num.messages); the mock serves one batch per partition per fetch", Invariant(DefaultBatchRecords)),
        new(LingerOption, "MS", "linger.ms of the producer that writes the data", Invariant(DefaultLingerMs)),
        new(MaxBufferedOption, "N", "connector's max-buffered-per-partition", "reference.conf: 1000"),
        new(FetchWaitOption, "MS", "fetch.wait.max.ms of every consumer", Invariant(DefaultFetchWaitMs)),
        new(FetchQueueBackoffOption, "MS", "fetch.queue.backoff.ms of every consumer (librdkafka's default is 1000)", Invariant(DefaultFetchQueueBackoffMs)),
        new(DebugOption, "CONTEXTS", "librdkafka debug contexts for every consumer (e.g. topic,fetch); logs at Akka DEBUG", "off"),
        new(TimeoutOption, "SECONDS", "a run that has not consumed N records by then fails (stall)", Invariant(DefaultTimeoutSeconds)),
    ];

    /// <inheritdoc />
    public async Task<int> RunAsync(ParsedOptions options, CancellationToken cancellationToken)
    {
        var p = Parameters.From(options);
        var total = Stopwatch.StartNew();
        Console.Error.WriteLine(FormattableString.Invariant(
            $"consume benchmark: {p.Messages:N0} messages, {p.Partitions} partitions, {p.ValueSize} B values, {p.Warmups} warm-up + {p.Rounds} rounds, variants {string.Join(",", p.Variants)}"));

        using var kafka = EmbeddedKafka.Start(1);
        kafka.CreateTopic(Topic, p.Partitions);
        var produceWatch = Stopwatch.StartNew();
        var ends = TopicData.Produce(kafka.BootstrapServers, Topic, p.Partitions, p.Messages, KeySize, p.ValueSize, p.LingerMs, p.BatchRecords);
        var produceSeconds = produceWatch.Elapsed.TotalSeconds;

        var system = ActorSystem.Create("bench", ConfigurationFactory.ParseString(
            $"""
            akka.loglevel = {(p.LibrdkafkaDebug is null ? "WARNING" : "DEBUG")}
            akka.stdout-loglevel = WARNING
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            """));
        IReadOnlyList<VariantRuns> runs;
        CommitterSettings committerSettings;
        try
        {
            using var metrics = new ConnectorMetrics();
            committerSettings = CommitterSettings.Create(system);
            var context = new Context(kafka, ends, p, system, system.Materializer(), metrics, committerSettings);
            var variants = p.Variants.Select<string, IVariant>(name => name switch
            {
                RawName => new RawConfluent(context),
                PlainName => new PlainSourceVariant(context),
                _ => new CommittableBatched(context),
            }).ToList();
            runs = await InterleavedRunner.RunAsync(variants, p.Warmups, p.Rounds, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }

        var root = new JsonObject
        {
            ["benchmark"] = Name,
            ["parameters"] = new JsonObject
            {
                ["messages"] = p.Messages,
                ["partitions"] = p.Partitions,
                ["value_size"] = p.ValueSize,
                ["key_size"] = KeySize,
                ["rounds"] = p.Rounds,
                ["warmup_passes"] = p.Warmups,
                ["producer"] = $"idempotent, acks=all, linger.ms={p.LingerMs}, batch.num.messages={p.BatchRecords}, chunks of batch.num.messages records per partition",
                ["batch_records"] = p.BatchRecords,
                ["statistic"] = "median of the rounds; variants interleaved per round; full GC + 500 ms pause before every run",
                ["broker"] = "librdkafka mock cluster, 1 broker, in this process (its CPU is included in every variant's CPU time)",
                ["max_buffered_per_partition"] = p.MaxBufferedPerPartition is { } mb ? mb : "reference.conf default",
                ["consumer_properties"] = new JsonObject(p.ConsumerProperties.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["committer"] = new JsonObject
                {
                    ["max_batch"] = committerSettings.MaxBatch,
                    ["max_interval_ms"] = committerSettings.MaxInterval.TotalMilliseconds,
                    ["parallelism"] = committerSettings.Parallelism,
                    ["delivery"] = committerSettings.Delivery.ToString(),
                },
                ["measured_window"] = "from consumer creation + subscribe (raw) or materialization (streams) until the N-th record was processed; close and drain are outside the window",
            },
            ["machine"] = Report.Machine(),
            ["produce_s"] = Report.Round(produceSeconds, 2),
            ["variants"] = Report.Variants(runs, RawName, Aggregate),
            ["total_run_s"] = Report.Round(total.Elapsed.TotalSeconds, 1),
        };
        Report.WriteJson(p.Out, root);

        Console.Out.WriteLine(FormattableString.Invariant(
            $"Consume benchmark: {p.Messages:N0} msgs ({p.ValueSize} B values) over {p.Partitions} partitions, embedded broker in-process, {Environment.ProcessorCount} cores, median of {p.Rounds} rounds"));
        Console.Out.WriteLine();
        Console.Out.Write(Report.MarkdownTable(runs, RawName, Note));
        Console.Out.WriteLine();
        Console.Out.WriteLine(FormattableString.Invariant($"Results written to {Path.GetFullPath(p.Out)} (total {total.Elapsed.TotalSeconds:N0} s)"));

        if (!runs.Where(r => r.Name == CommittableName).All(AllCommitted))
        {
            Console.Error.WriteLine("FAILED: committable-batched did not commit every partition's end offset in every run (see all_committed in the JSON)");
            return 1;
        }

        return 0;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Aggregate(VariantRuns runs)
    {
        yield return KeyValuePair.Create<string, JsonNode?>("assigned_ms", Report.Round(MedianExtra(runs, "assigned_ms"), 1));
        yield return KeyValuePair.Create<string, JsonNode?>("steady_msgs_per_s", Report.Round(MedianExtra(runs, "steady_msgs_per_s"), 1));
        yield return KeyValuePair.Create<string, JsonNode?>("fetch_requests", Report.Round(MedianExtra(runs, "fetch_requests"), 1));
        yield return KeyValuePair.Create<string, JsonNode?>("msgs_per_s_min", Report.Round(runs.Rounds.Min(r => r.Sample.MsgsPerSecond), 1));
        yield return KeyValuePair.Create<string, JsonNode?>("msgs_per_s_max", Report.Round(runs.Rounds.Max(r => r.Sample.MsgsPerSecond), 1));
        foreach (var key in new[] { "shutdown_ms", "drain_and_shutdown_ms" })
        {
            if (runs.Rounds.All(r => r.Extra.ContainsKey(key)))
            {
                yield return KeyValuePair.Create<string, JsonNode?>(key, Report.Round(MedianExtra(runs, key), 1));
            }
        }

        if (runs.Name == CommittableName)
        {
            yield return KeyValuePair.Create<string, JsonNode?>("all_committed", AllCommitted(runs));
            yield return KeyValuePair.Create<string, JsonNode?>("commit_requests", Report.Round(MedianExtra(runs, "commit_requests"), 1));
        }
    }

    private static string Note(VariantRuns runs)
    {
        var note = FormattableString.Invariant(
            $"range {runs.Rounds.Min(r => r.Sample.MsgsPerSecond):N0}–{runs.Rounds.Max(r => r.Sample.MsgsPerSecond):N0} msgs/s; fetches {MedianExtra(runs, "fetch_requests"):N0}");
        return runs.Name == CommittableName ? note + $"; all_committed={AllCommitted(runs).ToString().ToLowerInvariant()}" : note;
    }

    private static bool AllCommitted(VariantRuns runs) =>
        runs.Rounds.Concat(runs.Warmups).All(r => r.Extra.TryGetValue("all_committed", out var v) && v is true);

    private static double MedianExtra(VariantRuns runs, string key) =>
        Stats.Median(runs.Rounds.Select(r => r.Extra.TryGetValue(key, out var v) ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : double.NaN));

    private static Dictionary<string, object> Extras(int fetches, Sample sample, TimeSpan? assignedAt)
    {
        var extras = new Dictionary<string, object>
        {
            ["fetch_requests"] = fetches,
            ["records_per_fetch"] = fetches == 0 ? 0.0 : (double)sample.Records / fetches,
        };
        if (assignedAt is { } a)
        {
            extras["assigned_ms"] = a.TotalMilliseconds;
            extras["steady_msgs_per_s"] = sample.Records / (sample.Wall - a).TotalSeconds;
        }

        return extras;
    }

    private sealed record Parameters(
        string Out,
        int Messages,
        int Partitions,
        int ValueSize,
        int Rounds,
        int Warmups,
        int LingerMs,
        int BatchRecords,
        int? MaxBufferedPerPartition,
        string? LibrdkafkaDebug,
        IReadOnlyList<string> Variants,
        TimeSpan Timeout,
        IReadOnlyDictionary<string, string> ConsumerProperties)
    {
        public static Parameters From(ParsedOptions o)
        {
            var outFile = o.RequiredString(OutOption);
            if (Directory.Exists(outFile))
            {
                throw new UsageException($"{OutOption}: '{outFile}' is a directory; give a file path");
            }

            var messages = o.Int(MessagesOption, DefaultMessages, 1, int.MaxValue);
            var partitions = o.Int(PartitionsOption, DefaultPartitions, 1, EmbeddedKafka.MaxPartitions);
            var valueSize = o.Int(ValueSizeOption, DefaultValueSize, 0, 1024 * 1024);
            var rounds = o.Int(RoundsOption, DefaultRounds, 1, 100);
            var warmups = o.Int(WarmupOption, DefaultWarmups, 0, 100);
            var linger = o.Int(LingerOption, DefaultLingerMs, 0, 5000);
            var batchRecords = o.Int(BatchRecordsOption, DefaultBatchRecords, 1, 1_000_000);
            int? maxBuffered = o.OptionalString(MaxBufferedOption) is null ? null : o.Int(MaxBufferedOption, 0, 1, 10_000_000);
            var fetchWait = o.Int(FetchWaitOption, DefaultFetchWaitMs, 0, 300_000);
            var fetchQueueBackoff = o.Int(FetchQueueBackoffOption, DefaultFetchQueueBackoffMs, 0, 300_000);
            var timeout = TimeSpan.FromSeconds(o.Int(TimeoutOption, DefaultTimeoutSeconds, 1, 3600));
            var debug = o.OptionalString(DebugOption);
            var variants = AllVariants;
            if (o.OptionalString(VariantsOption) is { } list)
            {
                var named = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var unknown = named.FirstOrDefault(n => !AllVariants.Contains(n, StringComparer.Ordinal));
                if (named.Length == 0 || unknown is not null)
                {
                    throw new UsageException($"{VariantsOption}: unknown variant '{unknown ?? list}'; known: {string.Join(", ", AllVariants)}");
                }

                variants = AllVariants.Where(named.Contains).ToArray();
            }

            if (messages < partitions)
            {
                throw new UsageException($"{MessagesOption}: must be at least {PartitionsOption} ({partitions}) so that every partition holds data, got {messages}");
            }

            TopicData.CheckFitsMock(messages, partitions, KeySize, valueSize, batchRecords, MessagesOption, PartitionsOption, ValueSizeOption);

            // Identical for every variant. Fetch and queue sizes are librdkafka's defaults, spelled
            // out so that a changed default cannot favour one side; the assignment strategy is the
            // connector's default. fetch.queue.backoff.ms is lowered from 1000: with the default, a
            // consumer whose local queue passes queued.min.messages stops fetching for a whole
            // second, which the raw loop hits on every run and the connector (which drains that
            // queue into its own buffers) rarely does, so the baseline would be the slow one.
            var properties = new Dictionary<string, string>
            {
                ["auto.offset.reset"] = "earliest",
                ["partition.assignment.strategy"] = "cooperative-sticky",
                ["enable.auto.commit"] = "false",
                ["enable.auto.offset.store"] = "false",
                ["fetch.min.bytes"] = "1",
                ["fetch.wait.max.ms"] = Invariant(fetchWait),
                ["fetch.max.bytes"] = "52428800",
                ["max.partition.fetch.bytes"] = "1048576",
                ["queued.min.messages"] = "100000",
                ["queued.max.messages.kbytes"] = "65536",
                ["fetch.queue.backoff.ms"] = Invariant(fetchQueueBackoff),
            };
            if (debug is not null)
            {
                properties["debug"] = debug;
            }

            return new Parameters(outFile, messages, partitions, valueSize, rounds, warmups, linger, batchRecords, maxBuffered, debug, variants, timeout, properties);
        }
    }

    private sealed record Context(
        EmbeddedKafka Kafka,
        IReadOnlyDictionary<TopicPartition, long> EndOffsets,
        Parameters Parameters,
        ActorSystem System,
        IMaterializer Materializer,
        ConnectorMetrics Metrics,
        CommitterSettings CommitterSettings)
    {
        public string BootstrapServers => Kafka.BootstrapServers;

        /// <summary>Starts counting the broker's requests afresh (diagnostics: fetch round trips per run).</summary>
        public void StartCountingRequests()
        {
            Kafka.StopRequestTracking();
            Kafka.StartRequestTracking();
        }

        /// <summary>Fetch requests the broker received since <see cref="StartCountingRequests"/>.</summary>
        public int FetchRequests() => Kafka.CountRequests(KafkaApiKey.Fetch);

        public string NewGroupId(string variant, int run) => $"bench-{variant}-{run}-{Guid.NewGuid():N}";

        public ConsumerSettings<byte[], byte[]> Settings(string groupId, AssignmentClock clock)
        {
            var settings = ConsumerSettings<byte[], byte[]>.Create(System)
                .WithBootstrapServers(BootstrapServers)
                .WithGroupId(groupId)
                .WithProperties(Parameters.ConsumerProperties)
                .WithPartitionEventHandler(clock);
            return Parameters.MaxBufferedPerPartition is { } max ? settings.WithMaxBufferedPerPartition(max) : settings;
        }

        public BenchmarkFailedException Stalled(string variant, long seen, Probe probe) => new(FormattableString.Invariant(
            $"{variant}: {(seen < 0 ? "not all" : seen.ToString("N0", CultureInfo.InvariantCulture))} of {Parameters.Messages:N0} records after {probe.Elapsed.TotalSeconds:N0} s ({TimeoutOption}); the consumer stalled"));
    }

    /// <summary>Records when the first partitions were assigned (group join done), relative to the probe start.</summary>
    private sealed class AssignmentClock : IPartitionEventHandler
    {
        private long _assignedTicks = -1;

        /// <summary>Set right after the probe started (settings are built before, outside the measured window).</summary>
        public Probe? Probe { get; set; }

        public TimeSpan? AssignedAt => Interlocked.Read(ref _assignedTicks) is var t and >= 0 ? TimeSpan.FromTicks(t) : null;

        public void OnAssigned(IReadOnlyList<TopicPartition> partitions)
        {
            if (Volatile.Read(ref _assignedTicks) < 0 && Probe is { } probe)
            {
                Interlocked.CompareExchange(ref _assignedTicks, probe.Elapsed.Ticks, -1);
            }
        }
    }

    /// <summary>Baseline: a plain Confluent consume loop on a dedicated thread, no commits.</summary>
    private sealed class RawConfluent(Context context) : IVariant
    {
        public string Name => RawName;

        public Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken) =>
            Task.Factory.StartNew(() => Run(runIndex, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        private VariantRun Run(int runIndex, CancellationToken cancellationToken)
        {
            var n = context.Parameters.Messages;
            var config = new Dictionary<string, string>(context.Parameters.ConsumerProperties)
            {
                ["bootstrap.servers"] = context.BootstrapServers,
                ["group.id"] = context.NewGroupId(Name, runIndex),
                ["client.id"] = $"bench-raw-{runIndex}",
            };
            var clock = new AssignmentClock();
            long count = 0;
            int fetches;
            Sample sample;
            context.StartCountingRequests();
            var probe = Probe.Start();
            clock.Probe = probe;
            var consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetPartitionsAssignedHandler((_, partitions) => clock.OnAssigned(partitions))
                .SetLogHandler((_, m) =>
                {
                    if (context.Parameters.LibrdkafkaDebug is not null || m.Level <= SyslogLevel.Warning)
                    {
                        Console.Error.WriteLine($"librdkafka {m.Name} {m.Facility}: {m.Message}");
                    }
                })
                .Build();
            try
            {
                consumer.Subscribe(Topic);
                while (count < n)
                {
                    var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (record is null || record.IsPartitionEOF)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (probe.Elapsed > context.Parameters.Timeout)
                        {
                            throw context.Stalled(Name, count, probe);
                        }

                        continue;
                    }

                    count++;
                }

                sample = probe.Stop(count);
                fetches = context.FetchRequests();
            }
            finally
            {
                consumer.Close();
                consumer.Dispose();
            }

            return new VariantRun(sample, Extras(fetches, sample, clock.AssignedAt));
        }
    }

    /// <summary><c>PlainSource(...).Take(N).RunWith(Sink.Ignore)</c>, then <c>control.Shutdown()</c>.</summary>
    private sealed class PlainSourceVariant(Context context) : IVariant
    {
        public string Name => PlainName;

        public async Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken)
        {
            var n = context.Parameters.Messages;
            var clock = new AssignmentClock();
            var settings = context.Settings(context.NewGroupId(Name, runIndex), clock);
            var graph = KafkaConsumer.PlainSource(settings, Subscriptions.Topics(Topic))
                .Take(n)
                .ToMaterialized(Sink.Ignore<ConsumeResult<byte[], byte[]>>(), Keep.Both);
            context.StartCountingRequests();
            var probe = Probe.Start();
            clock.Probe = probe;
            var (control, done) = graph.Run(context.Materializer);
            try
            {
                await done.WaitAsync(context.Parameters.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await control.Shutdown().ConfigureAwait(false);
                throw context.Stalled(Name, -1, probe);
            }

            var sample = probe.Stop(n);
            var fetches = context.FetchRequests();
            await Task.Yield();
            var shutdown = Stopwatch.StartNew();
            await control.Shutdown().ConfigureAwait(false);
            var extras = Extras(fetches, sample, clock.AssignedAt);
            extras["shutdown_ms"] = shutdown.Elapsed.TotalMilliseconds;
            return new VariantRun(sample, extras);
        }
    }

    /// <summary>
    /// <c>CommittableSource → Select(offset) → Committer.Sink</c>; stops once N records passed the
    /// Select, drains (last batch committed) and shuts down, then checks the group's committed offsets.
    /// </summary>
    private sealed class CommittableBatched(Context context) : IVariant
    {
        public string Name => CommittableName;

        public async Task<VariantRun> RunOnceAsync(int runIndex, CancellationToken cancellationToken)
        {
            var n = context.Parameters.Messages;
            var groupId = context.NewGroupId(Name, runIndex);
            var commitsBefore = context.Metrics.CommitRequests;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            long seen = 0;
            var clock = new AssignmentClock();
            var settings = context.Settings(groupId, clock);
            var graph = KafkaConsumer.CommittableSource(settings, Subscriptions.Topics(Topic))
                .Select(m =>
                {
                    if (++seen == n)
                    {
                        reached.TrySetResult();
                    }

                    return (ICommittable)m.CommittableOffset;
                })
                .ToMaterialized(Committer.Sink(context.CommitterSettings), Keep.Both);
            context.StartCountingRequests();
            var probe = Probe.Start();
            clock.Probe = probe;
            var (control, sinkDone) = graph.Run(context.Materializer);

            var first = await Task.WhenAny(reached.Task, sinkDone, Task.Delay(context.Parameters.Timeout, cancellationToken)).ConfigureAwait(false);
            if (first != reached.Task)
            {
                await control.Shutdown().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (first == sinkDone && sinkDone.IsFaulted)
                {
                    throw new BenchmarkFailedException(
                        $"{Name}: the stream failed after {Volatile.Read(ref seen):N0} records: {sinkDone.Exception?.GetBaseException().Message}", sinkDone.Exception);
                }

                throw context.Stalled(Name, Volatile.Read(ref seen), probe);
            }

            var sample = probe.Stop(n);
            var fetches = context.FetchRequests();
            var drain = Stopwatch.StartNew();
            try
            {
                await control.DrainAndShutdown(sinkDone).WaitAsync(context.Parameters.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                throw new BenchmarkFailedException($"{Name}: DrainAndShutdown did not finish within {context.Parameters.Timeout.TotalSeconds:N0} s", ex);
            }

            var drainMs = drain.Elapsed.TotalMilliseconds;
            var committed = TopicData.Committed(context.BootstrapServers, groupId, context.EndOffsets.Keys);
            var mismatches = context.EndOffsets
                .Where(e => !committed.TryGetValue(e.Key, out var c) || c != e.Value)
                .Select(e => $"[{e.Key.Partition.Value}] committed {(committed.TryGetValue(e.Key, out var c) ? c.ToString(CultureInfo.InvariantCulture) : "none")}, end {e.Value}")
                .ToList();
            if (mismatches.Count > 0)
            {
                Console.Error.WriteLine($"  {Name}: committed offsets differ from end offsets: {string.Join("; ", mismatches)}");
            }

            var extras = Extras(fetches, sample, clock.AssignedAt);
            extras["all_committed"] = mismatches.Count == 0;
            extras["records_seen"] = Volatile.Read(ref seen);
            extras["commit_requests"] = context.Metrics.CommitRequests - commitsBefore;
            extras["drain_and_shutdown_ms"] = drainMs;
            return new VariantRun(sample, extras);
        }
    }
}
