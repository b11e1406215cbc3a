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
    private readonly Confluent.Kafka.IAsyncSerializer<WireTransaction>? _serializer;
    private long _sent;

    /// <param name="accounts">How many accounts.</param>
    /// <param name="poisonEvery">Every Nth record is malformed (0 = never).</param>
    /// <param name="serializer">
    /// Confluent's JSON Schema serializer (wire format: magic byte + schema id + JSON) for a pipeline
    /// with <c>value-format = json-schema</c>; null for plain JSON.
    /// </param>
    public AccountsSampleTraffic(int accounts, int poisonEvery, Confluent.Kafka.IAsyncSerializer<WireTransaction>? serializer = null)
    {
        Accounts = accounts;
        PoisonEvery = poisonEvery;
        _serializer = serializer;
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
            .SelectAsync(1, _ => NextAsync(seqs))
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

    private async Task<ProducerEnvelope<string, byte[], AccountTransaction?>> NextAsync(Dictionary<string, long> seqs)
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
        var value = _serializer is null
            ? JsonSerializer.SerializeToUtf8Bytes(tx, AccountsSample.Json)
            : await _serializer.SerializeAsync(new WireTransaction { AccountId = account, Seq = seq, Amount = amount },
                new Confluent.Kafka.SerializationContext(Confluent.Kafka.MessageComponentType.Value, AccountsSample.InputTopic)).ConfigureAwait(false);
        return ProducerMessage.Single(new ProducerRecord<string, byte[]>(AccountsSample.InputTopic, account, value), (AccountTransaction?)tx);
    }
}

/// <summary>An account transaction as Confluent's JSON serializer writes it (property names as in the accounts-value schema).</summary>
internal sealed class WireTransaction
{
    [Newtonsoft.Json.JsonProperty("accountId")]
    public string AccountId { get; set; } = "";

    [Newtonsoft.Json.JsonProperty("seq")]
    public long Seq { get; set; }

    [Newtonsoft.Json.JsonProperty("amount")]
    public decimal Amount { get; set; }
}
