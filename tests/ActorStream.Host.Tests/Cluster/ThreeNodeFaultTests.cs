using Xunit;
using Xunit.Abstractions;

namespace ActorStream.Host.Tests.Cluster;

/// <summary>
/// Fault tests across processes: three nodes of the <c>accounts</c> sample share a consumer group and
/// a PostgreSQL journal while transactions flow; one node is killed, terminated or frozen. The
/// promises must hold throughout: every transaction reflected in <c>accounts.balances</c>, per
/// account in seq order, none applied twice (outputs checked from Kafka, events from the journal).
/// </summary>
public sealed class ThreeNodeFaultTests(ITestOutputHelper output)
{
    private const int Accounts = 40;
    private const int RecordsPerSecond = 200;
    private static readonly TimeSpan Formation = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_killed_node_is_downed_and_its_work_moves_then_a_terminated_node_hands_over_without_redelivery()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync();
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        await using var balances = new BalanceLog(cluster.Kafka.BootstrapServers);
        await using var load = new AccountLoad(cluster.Kafka.BootstrapServers, Accounts, RecordsPerSecond);
        await StartSteadyFlowAsync(cluster, balances, load);

        // kill -9 under load: no drain, no commit, no leave.
        var lost = await c.AssignedPartitionsAsync();
        var killedAt = DateTime.UtcNow;
        c.Kill();
        await c.Process.WaitForExitAsync();

        // The cluster downs the unreachable node (SBR keep-majority) ...
        await cluster.WaitForMembersAsync(a, [a, b], Recovery);
        var downedAfter = DateTime.UtcNow - killedAt;
        // ... its partitions move to the survivors, and records produced after the kill are processed
        // there (their entities recover from the shared journal).
        await cluster.WaitForPartitionsSplitAsync([a, b], Recovery);
        var resumed = new Dictionary<int, TimeSpan>();
        await balances.WaitForAsync(outputs =>
        {
            foreach (var o in outputs.Where(o => lost.Contains(o.Partition) && !resumed.ContainsKey(o.Partition)))
            {
                if (load.ProducedAt(o.Account, o.Seq) is { } producedAt && producedAt > killedAt)
                {
                    resumed[o.Partition] = o.ReceivedAt - killedAt;
                }
            }

            return resumed.Count == lost.Count;
        }, Recovery, $"the killed node's partitions {string.Join(",", lost)} processed again", cluster.Logs);
        output.WriteLine($"kill -9 of {c.Name} (partitions {string.Join(",", lost)}): downed after {downedAfter.TotalSeconds:0.0} s; " +
            $"processing resumed after {resumed.Values.Min().TotalSeconds:0.0} s (first partition) / {resumed.Values.Max().TotalSeconds:0.0} s (all)");

        // SIGTERM under load: B drains, commits and hands its partitions and shards to A. Nothing it
        // processed is delivered again: A applies no record twice (and re-emits nothing).
        var afterRecovery = balances.Count;
        await balances.WaitForAsync(o => o.Count >= afterRecovery + 200, Recovery, "flow after the recovery", cluster.Logs);
        var alreadyAppliedBefore = await a.CounterAsync("actorstream_records_already_applied_records_total");
        var reEmittedBefore = balances.Check(load.LastSeq).ReEmitted;
        var handedOver = await b.AssignedPartitionsAsync();
        var terminatedAt = DateTime.UtcNow;
        b.Terminate();
        Assert.True(await WaitForExitAsync(b, TimeSpan.FromSeconds(60)), $"node B did not stop within 60 s after SIGTERM\n{b.Tail()}");
        Assert.True(b.Process.ExitCode == 0, $"node B exited with {b.Process.ExitCode} after SIGTERM\n{b.Tail()}");
        await cluster.WaitForMembersAsync(a, [a], Recovery);
        await cluster.EventuallyAsync(async () => (await a.AssignedPartitionsAsync()).Count == ThreeNodeCluster.Partitions, Recovery, "A consumes every partition");
        output.WriteLine($"SIGTERM of {b.Name} (partitions {string.Join(",", handedOver)}): exited after {(DateTime.UtcNow - terminatedAt).TotalSeconds:0.0} s");

        await load.StopAsync();
        await balances.WaitForAsync(_ => balances.Check(load.LastSeq).Problems.Count == 0, Recovery, "every transaction reflected in accounts.balances", () => string.Join("\n", balances.Check(load.LastSeq).Problems.Take(10)) + "\n" + cluster.Logs());
        var (problems, reEmitted) = balances.Check(load.LastSeq);
        Assert.Empty(problems);
        Assert.Equal(0, await a.CounterAsync("actorstream_records_already_applied_records_total") - alreadyAppliedBefore);
        Assert.Equal(reEmittedBefore, reEmitted);

        var (journalProblems, events) = await cluster.CheckJournalAsync();
        Assert.Empty(journalProblems);
        Assert.Equal(load.Produced, events);
        output.WriteLine($"{load.Produced} transactions over {Accounts} accounts; {balances.Count} balances read, {reEmitted} re-emitted after the kill (same content); journal: {events} events, none applied twice");
    }

    [Fact]
    public async Task A_frozen_node_is_downed_and_on_waking_it_exits_instead_of_living_on_beside_the_new_incarnations()
    {
        await using var cluster = await ThreeNodeCluster.StartAsync();
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        await using var balances = new BalanceLog(cluster.Kafka.BootstrapServers);
        await using var load = new AccountLoad(cluster.Kafka.BootstrapServers, Accounts, RecordsPerSecond);
        await StartSteadyFlowAsync(cluster, balances, load);

        // SIGSTOP for longer than failure detection + stable-after: the majority side downs C and
        // takes over its partitions and entities while C's process still holds them in memory.
        var frozen = await c.AssignedPartitionsAsync();
        var pausedAt = DateTime.UtcNow;
        c.Pause();
        await cluster.WaitForMembersAsync(a, [a, b], Recovery);
        var resumed = new HashSet<int>();
        await balances.WaitForAsync(outputs =>
        {
            resumed.UnionWith(outputs.Where(o => frozen.Contains(o.Partition) && load.ProducedAt(o.Account, o.Seq) > pausedAt).Select(o => o.Partition));
            return resumed.Count == frozen.Count;
        }, Recovery, $"the frozen node's partitions {string.Join(",", frozen)} processed by the others", cluster.Logs);
        output.WriteLine($"SIGSTOP of {c.Name}: downed and its partitions processed elsewhere after {(DateTime.UtcNow - pausedAt).TotalSeconds:0.0} s");

        // SIGCONT: C wakes up believing it still owns its partitions and entities. It must learn that
        // it was downed and exit (non-zero, so a supervisor starts a fresh member), not process on.
        var wokeAt = DateTime.UtcNow;
        c.Resume();
        Assert.True(await WaitForExitAsync(c, TimeSpan.FromSeconds(60)), $"the woken node did not exit within 60 s\n{c.Tail(120)}");
        Assert.NotEqual(0, c.Process.ExitCode);
        Assert.True(c.Logged("downed or removed by the cluster"), c.Tail(120));
        output.WriteLine($"SIGCONT of {c.Name}: exited with {c.Process.ExitCode} after {(DateTime.UtcNow - wokeAt).TotalSeconds:0.0} s");
        await cluster.WaitForMembersAsync(a, [a, b], Recovery);
        await cluster.WaitForMembersAsync(b, [a, b], Recovery);

        // The woken node may still deliver outputs its producer had queued before the freeze (a zombie
        // write, same content as the new owner's): tolerated as late duplicates and counted.
        await load.StopAsync();
        await balances.WaitForAsync(_ => balances.Check(load.LastSeq, lateDuplicates: true).Problems.Count == 0, Recovery, "every transaction reflected in accounts.balances", () => string.Join("\n", balances.Check(load.LastSeq, lateDuplicates: true).Problems.Take(10)) + "\n" + cluster.Logs());
        var (problems, reEmitted) = balances.Check(load.LastSeq, lateDuplicates: true);
        Assert.Empty(problems);
        var (journalProblems, events) = await cluster.CheckJournalAsync();
        Assert.Empty(journalProblems);
        Assert.Equal(load.Produced, events);
        output.WriteLine($"{load.Produced} transactions; {reEmitted} outputs re-emitted or sent late by the woken node (same content); journal: {events} events, none applied twice");
    }

    /// <summary>Waits for three Up members sharing the partitions, then starts the load and waits for balances to flow.</summary>
    private static async Task StartSteadyFlowAsync(ThreeNodeCluster cluster, BalanceLog balances, AccountLoad load)
    {
        var nodes = cluster.Nodes.ToList();
        await cluster.WaitForMembersAsync(nodes[0], nodes, Formation);
        await cluster.WaitForPartitionsSplitAsync(nodes, Formation);
        load.Start();
        await balances.WaitForAsync(o => o.Count >= 400, Recovery, "steady flow over three nodes", cluster.Logs);
    }

    private static async Task<bool> WaitForExitAsync(ClusterNode node, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await node.Process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
