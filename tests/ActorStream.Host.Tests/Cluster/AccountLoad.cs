using System.Collections.Concurrent;
using Confluent.Kafka;

namespace ActorStream.Host.Tests.Cluster;

/// <summary>
/// Produces account transactions (amount 1, seq 1, 2, 3… per account) to <c>accounts</c> at a steady
/// rate until stopped, remembering when each (account, seq) was acknowledged by the broker.
/// </summary>
internal sealed class AccountLoad : IAsyncDisposable
{
    private readonly IProducer<string, string> _producer;
    private readonly int _accounts;
    private readonly int _perSecond;
    private readonly long[] _lastSeq;
    private readonly ConcurrentDictionary<(string Account, long Seq), DateTime> _produced = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public AccountLoad(string bootstrapServers, int accounts, int perSecond)
    {
        _producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Partitioner = Confluent.Kafka.Partitioner.Murmur2Random,
            LingerMs = 5,
        }).Build();
        _accounts = accounts;
        _perSecond = perSecond;
        _lastSeq = new long[accounts];
    }

    /// <summary>Records acknowledged by the broker so far.</summary>
    public int Produced => _produced.Count;

    /// <summary>The last seq sent per account (after <see cref="StopAsync"/>: the final one).</summary>
    public IReadOnlyDictionary<string, long> LastSeq => Enumerable.Range(0, _accounts).ToDictionary(Account, i => Interlocked.Read(ref _lastSeq[i]));

    /// <summary>When the broker acknowledged (account, seq); null if it was not acknowledged (yet).</summary>
    public DateTime? ProducedAt(string account, long seq) => _produced.TryGetValue((account, seq), out var at) ? at : null;

    public static string Account(int index) => $"a-{index}";

    public void Start() => _running = Task.Run(RunAsync);

    /// <summary>Sends a fixed number of rounds (one record per account each) at once, outside the steady flow.</summary>
    public void SendRounds(int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < _accounts; i++)
            {
                Send(i);
            }
        }

        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the steady flow and waits until every record sent was acknowledged.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
        if (_producer.Flush(TimeSpan.FromSeconds(30)) > 0)
        {
            throw new InvalidOperationException("the load producer could not deliver every record within 30 s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _producer.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        // Ticks of 50 ms keep the rate steady without a busy loop; the accounts take turns.
        var perTick = Math.Max(1, _perSecond / 20);
        var next = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                for (var i = 0; i < perTick; i++)
                {
                    Send(next);
                    next = (next + 1) % _accounts;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Send(int index)
    {
        var account = Account(index);
        var seq = Interlocked.Increment(ref _lastSeq[index]);
        _producer.Produce("accounts", new Message<string, string> { Key = account, Value = $$"""{"accountId":"{{account}}","seq":{{seq}},"amount":1}""" }, report =>
        {
            if (report.Error.IsError)
            {
                // The idempotent producer retries retriable errors itself; anything else breaks the test's premise.
                throw new InvalidOperationException($"producing {account} seq {seq} failed: {report.Error}");
            }

            _produced[(account, seq)] = DateTime.UtcNow;
        });
    }
}
