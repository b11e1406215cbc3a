using System.Collections.Concurrent;
using System.Text.Json;
using Confluent.Kafka;

namespace ActorStream.Host.Tests.Cluster;

/// <summary>One record of <c>accounts.balances</c> as an outside reader saw it.</summary>
internal sealed record BalanceOutput(string Account, long Seq, decimal Balance, int Partition, long Offset, DateTime ReceivedAt);

/// <summary>
/// Reads <c>accounts.balances</c> from the beginning in the background (its own consumer group), so
/// a test can wait for outputs, time them, and check them for loss, order and double effects.
/// </summary>
internal sealed class BalanceLog : IAsyncDisposable
{
    private readonly ConcurrentQueue<BalanceOutput> _outputs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public BalanceLog(string bootstrapServers)
    {
        _reading = Task.Factory.StartNew(() => Read(bootstrapServers), TaskCreationOptions.LongRunning);
    }

    public IReadOnlyList<BalanceOutput> Outputs => [.. _outputs];

    public int Count => _outputs.Count;

    /// <summary>Waits (bounded) until the outputs satisfy <paramref name="condition"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<BalanceOutput>, bool> condition, TimeSpan timeout, string what, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Outputs))
        {
            if (_reading.IsFaulted)
            {
                throw new Xunit.Sdk.XunitException($"the balances reader failed: {_reading.Exception?.GetBaseException().Message}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"not within {timeout.TotalSeconds:0} s: {what} ({Count} balances read)\n{diagnostics()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Checks the promises against what was sent: every transaction is reflected (seq 1..last per
    /// account), per account the outputs come in seq order, and no balance is double-applied
    /// (each output's balance equals its seq, since every amount is 1). Outputs sent again after a
    /// crash carry the same content and are counted, not refused (outputs are at-least-once).
    /// </summary>
    /// <param name="lastSeq">The last seq sent per account.</param>
    /// <param name="lateDuplicates">
    /// Whether a duplicate may arrive out of order: a node frozen with outputs still queued in its
    /// producer sends them when it wakes, after the new owner's later outputs (a zombie write; only
    /// Kafka transactions with producer fencing would refuse it). Order is then checked on the first
    /// occurrence of each seq.
    /// </param>
    public (IReadOnlyList<string> Problems, int ReEmitted) Check(IReadOnlyDictionary<string, long> lastSeq, bool lateDuplicates = false)
    {
        var problems = new List<string>();
        var reEmitted = 0;
        var byAccount = Outputs.GroupBy(o => o.Account).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (account, last) in lastSeq)
        {
            var outputs = byAccount.GetValueOrDefault(account) ?? [];
            var wrong = outputs.FirstOrDefault(o => o.Balance != o.Seq);
            if (wrong is not null)
            {
                problems.Add($"{account}: seq {wrong.Seq} has balance {wrong.Balance} (a transaction applied twice or lost)");
            }

            var ordered = lateDuplicates ? outputs.DistinctBy(o => o.Seq).ToList() : outputs;
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Seq < ordered[i - 1].Seq)
                {
                    problems.Add($"{account}: seq {ordered[i].Seq} came after seq {ordered[i - 1].Seq} (offset {ordered[i].Offset})");
                    break;
                }
            }

            var seen = outputs.Select(o => o.Seq).ToHashSet();
            var missing = Enumerable.Range(1, (int)last).Where(seq => !seen.Contains(seq)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"{account}: {missing.Count} of {last} transactions have no balance (first missing seq {missing[0]})");
            }

            if (seen.Any(seq => seq > last))
            {
                problems.Add($"{account}: a balance for a seq above {last}, which was never sent");
            }

            reEmitted += outputs.Count - seen.Count;
        }

        return (problems, reEmitted);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private void Read(string bootstrapServers)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"balances-check-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe("accounts.balances");
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false, Message: not null } record)
                {
                    using var json = JsonDocument.Parse(record.Message.Value);
                    _outputs.Enqueue(new BalanceOutput(
                        record.Message.Key,
                        json.RootElement.GetProperty("seq").GetInt64(),
                        json.RootElement.GetProperty("balance").GetDecimal(),
                        record.Partition.Value,
                        record.Offset.Value,
                        DateTime.UtcNow));
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }
}
