using System.Globalization;
using System.Text.Json;
using ActorStream.TestKit;
using ActorStream.TestKit.Postgres;
using Npgsql;

namespace ActorStream.Host.Tests.Cluster;

/// <summary>
/// Three <c>actorstream run</c> processes of the <c>accounts</c> sample on loopback, with an
/// <c>actorstream kafka</c> broker (8 partitions per topic) and one PostgreSQL server holding every
/// node's entity journal: the shape of a small production deployment. Timings are shortened
/// (consumer session 6 s, split brain resolver stable-after 5 s) so that faults resolve quickly.
/// </summary>
internal sealed class ThreeNodeCluster : IAsyncDisposable
{
    public const int Partitions = 8;

    /// <summary>SBR stable-after used by the nodes (production default: 20 s).</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(5);

    private readonly List<ClusterNode> _nodes = [];
    private readonly int _seedPort = Actorstream.FreePort();

    private ThreeNodeCluster(PostgresServer postgres, EmbeddedKafkaProcess kafka)
    {
        Postgres = postgres;
        Kafka = kafka;
    }

    public PostgresServer Postgres { get; }

    public EmbeddedKafkaProcess Kafka { get; }

    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    /// <summary>Starts PostgreSQL (tables created by <c>actorstream db init</c>, as in production), the broker and three nodes.</summary>
    public static async Task<ThreeNodeCluster> StartAsync()
    {
        // No skip: CI installs postgresql, and a machine without it gets the fixture's install hint.
        var postgres = await PostgresServer.StartAsync();
        EmbeddedKafkaProcess? kafka = null;
        try
        {
            kafka = await Actorstream.StartKafkaAsync("--topic", $"accounts:{Partitions}", "--topic", $"accounts.balances:{Partitions}", "--topic", $"accounts.dlq:{Partitions}");
            var cluster = new ThreeNodeCluster(postgres, kafka);
            var (exit, stdout, stderr) = await Actorstream.RunWithEnvironmentAsync(cluster.Environment(), "db", "init", "--set", "actorstream.persistence.provider=postgresql");
            if (exit != 0)
            {
                throw new InvalidOperationException($"actorstream db init failed ({exit}): {stdout}{stderr}");
            }

            var ports = new[] { cluster._seedPort, Actorstream.FreePort(), Actorstream.FreePort() };
            var started = await Task.WhenAll(ports.Select((port, i) => ClusterNode.StartAsync(((char)('A' + i)).ToString(), port, cluster.Environment(), Arguments())));
            cluster._nodes.AddRange(started);
            return cluster;
        }
        catch
        {
            if (kafka is not null)
            {
                await kafka.DisposeAsync();
            }

            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="observer"/> sees exactly <paramref name="expected"/> as Up and reachable, and nothing else.</summary>
    public async Task WaitForMembersAsync(ClusterNode observer, IReadOnlyCollection<ClusterNode> expected, TimeSpan timeout)
    {
        await EventuallyAsync(async () =>
        {
            var members = await observer.MembersAsync();
            return members.Count == expected.Count && expected.All(n => members.TryGetValue(n.Address, out var m) && m is { Status: "Up", Reachable: true });
        }, timeout, $"{observer.Name} sees exactly {string.Join(", ", expected.Select(n => n.Name))} Up");
    }

    /// <summary>Waits until the live nodes together consume all partitions, each of them some.</summary>
    public async Task WaitForPartitionsSplitAsync(IReadOnlyCollection<ClusterNode> live, TimeSpan timeout)
    {
        await EventuallyAsync(async () =>
        {
            var assigned = new List<IReadOnlyList<int>>();
            foreach (var node in live)
            {
                assigned.Add(await node.AssignedPartitionsAsync());
            }

            return assigned.All(a => a.Count > 0) && assigned.Sum(a => a.Count) == Partitions && assigned.SelectMany(a => a).Distinct().Count() == Partitions;
        }, timeout, $"{Partitions} partitions split over {string.Join(", ", live.Select(n => n.Name))}");
    }

    /// <summary><see cref="Actorstream.EventuallyAsync"/>, where a node that does not answer (stopping or frozen) counts as "not yet", with every node's log on failure.</summary>
    public Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Actorstream.EventuallyAsync(async () =>
        {
            try
            {
                return await condition();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, timeout, what, Logs);

    /// <summary>The recent log lines of every node, for failure messages.</summary>
    public string Logs() => string.Join("\n", _nodes.Select(n => n.Tail()));

    /// <summary>
    /// Reads the shared journal: per account entity, the events (ordered by sequence number) must
    /// come from strictly increasing source offsets and transaction seqs — a record applied twice,
    /// by one incarnation or by two live ones, would break either. Returns the problems found and the
    /// number of events read.
    /// </summary>
    public async Task<(IReadOnlyList<string> Problems, int Events)> CheckJournalAsync()
    {
        var problems = new List<string>();
        var events = 0;
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT persistence_id, sequence_nr, payload FROM public.event_journal WHERE NOT is_deleted ORDER BY persistence_id, sequence_nr", connection);
        await using var reader = await command.ExecuteReaderAsync();
        string? entity = null;
        var (lastOffset, lastSeq) = (-1L, 0L);
        while (await reader.ReadAsync())
        {
            var id = reader.GetString(0);
            using var payload = JsonDocument.Parse((byte[])reader[2]);
            if (!payload.RootElement.TryGetProperty("eventType", out _))
            {
                continue; // a delivery marker
            }

            if (id != entity)
            {
                (entity, lastOffset, lastSeq) = (id, -1L, 0L);
            }

            events++;
            var offset = payload.RootElement.GetProperty("source").GetProperty("offset").GetInt64();
            var seq = payload.RootElement.GetProperty("data").GetProperty("seq").GetInt64();
            if (offset <= lastOffset || seq <= lastSeq)
            {
                problems.Add($"{id} event {reader.GetInt64(1)}: offset {offset} / seq {seq} after offset {lastOffset} / seq {lastSeq} (applied twice)");
            }

            (lastOffset, lastSeq) = (offset, seq);
        }

        return (problems, events);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        await Kafka.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    private Dictionary<string, string?> Environment() => new()
    {
        ["KAFKA_BOOTSTRAP_SERVERS"] = Kafka.BootstrapServers,
        ["ACTORSTREAM_SEED_NODES"] = $"akka.tcp://actorstream@127.0.0.1:{_seedPort}",
        ["ACTORSTREAM_POSTGRES_CONNECTION"] = Postgres.ConnectionString,
    };

    private static string[] Arguments() =>
    [
        "run", "--config", Path.Combine(Actorstream.RepositoryRoot, "hocon", "sample.conf"),
        "--set", "actorstream.persistence.provider=postgresql",
        "--set", "actorstream.persistence.auto-initialize=off",
        "--set", "actorstream.monitoring.lag-interval=500ms",
        // The mock broker completes a join only once every member rejoined or timed out, and a
        // killed member is noticed after the session timeout: short sessions keep the test quick.
        "--set", "actorstream.kafka.consumer.properties.\"session.timeout.ms\"=6000",
        "--set", "actorstream.kafka.consumer.properties.\"heartbeat.interval.ms\"=500",
        "--set", $"akka.cluster.split-brain-resolver.stable-after={StableAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
    ];
}
