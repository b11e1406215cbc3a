using System.Text;
using System.Text.Json;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;

namespace ActorStream.Host.Sample;

/// <summary>
/// Sample traffic for the <c>accounts</c> topic: transactions for random accounts at a steady rate,
/// each account's <c>seq</c> counting up from 1, with a malformed record now and then so the
/// dead-letter path is visible. Remembers what was acknowledged so the result can be verified.
/// </summary>
internal sealed class AccountsSampleTraffic
{
    private readonly Dictionary<string, (long Seq, decimal Balance)> _expected = new(StringComparer.Ordinal);
    private readonly Random _random = new(42);
    private readonly object _gate = new();
    private long _sent;

    public AccountsSampleTraffic(int accounts, int poisonEvery)
    {
        Accounts = accounts;
        PoisonEvery = poisonEvery;
    }

    public int Accounts { get; }

    public int PoisonEvery { get; }

    /// <summary>Final balance and last seq per account, of acknowledged transactions.</summary>
    public IReadOnlyDictionary<string, (long Seq, decimal Balance)> Expected
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, (long, decimal)>(_expected);
            }
        }
    }

    public (UniqueKillSwitch Switch, Task<Done> Completion) Run(ProducerSettings<string, byte[]> settings, int ratePerSecond, DevCounters counters, IMaterializer materializer)
    {
        var seqs = new Dictionary<string, long>(StringComparer.Ordinal);
        return Source.Repeat(NotUsed.Instance)
            .Throttle(ratePerSecond, TimeSpan.FromSeconds(1), Math.Max(1, ratePerSecond / 10), ThrottleMode.Shaping)
            .ViaMaterialized(KillSwitches.Single<NotUsed>(), Keep.Right)
            .Select(_ => Next(seqs))
            .Via(KafkaProducer.FlexiFlow<string, byte[], AccountTransaction?>(settings))
            .Select(result =>
            {
                counters.RecordProduced();
                if (result.PassThrough is { } tx)
                {
                    lock (_gate)
                    {
                        var (_, balance) = _expected.GetValueOrDefault(tx.AccountId);
                        _expected[tx.AccountId] = (tx.Seq, balance + tx.Amount);
                    }
                }

                return Done.Instance;
            })
            .ToMaterialized(Sink.Ignore<Done>(), Keep.Both)
            .Run(materializer);
    }

    private ProducerEnvelope<string, byte[], AccountTransaction?> Next(Dictionary<string, long> seqs)
    {
        var n = ++_sent;
        var account = $"a-{_random.Next(Accounts) + 1}";
        if (PoisonEvery > 0 && n % PoisonEvery == 0)
        {
            var poison = Encoding.UTF8.GetBytes($"not json #{n}");
            return ProducerMessage.Single(new ProducerRecord<string, byte[]>(AccountsSample.InputTopic, account, poison), (AccountTransaction?)null);
        }

        var seq = seqs[account] = seqs.GetValueOrDefault(account) + 1;
        var amount = Math.Round((decimal)(_random.NextDouble() * 150 - 50), 2);
        var tx = new AccountTransaction(account, seq, amount);
        var value = JsonSerializer.SerializeToUtf8Bytes(tx, AccountsSample.Json);
        return ProducerMessage.Single(new ProducerRecord<string, byte[]>(AccountsSample.InputTopic, account, value), (AccountTransaction?)tx);
    }
}
