using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Host.Sample;

/// <summary>
/// The sample processing stream that <c>actorstream dev</c> runs on the connector: per partition,
/// balances of the accounts in it, emitted to <c>accounts.balances</c>; records that are not valid
/// transactions go to <c>accounts.dlq</c> with their context headers. Each input offset is
/// committed only after its output (balance or dead letter) was acknowledged by the broker.
/// </summary>
/// <remarks>
/// Balances live in the partition's sub-stream, in memory: this is the connector-level sample that
/// precedes the sharded, event-sourced Account entity. A redelivered transaction (seq not above the
/// account's last one) is recognised and produces no second balance.
/// </remarks>
internal static class AccountsSampleStream
{
    public static (IConsumerControl Control, Task<Done> Completion) Run(
        ConsumerSettings<string, byte[]> consumerSettings,
        ProducerSettings<string, byte[]> producerSettings,
        CommitterSettings committerSettings,
        DevCounters counters,
        IMaterializer materializer)
    {
        return KafkaConsumer.CommittablePartitionedSource(consumerSettings, Subscriptions.Topics(AccountsSample.InputTopic))
            .Select(partition => Process(partition.Records, consumerSettings.GroupId, counters))
            .Via(Flow.Create<Source<ProducerEnvelope<string, byte[], ICommittable>, NotUsed>>().MergeMany(1024, s => s))
            .Via(KafkaProducer.FlexiFlow<string, byte[], ICommittable>(producerSettings))
            .Select(result =>
            {
                counters.RecordProcessed(result.Deliveries.Count > 0 && result.Deliveries[0].Topic == AccountsSample.DeadLetterTopic);
                return result.PassThrough;
            })
            .ToMaterialized(Committer.Sink(committerSettings), Keep.Both)
            .Run(materializer);
    }

    private static Source<ProducerEnvelope<string, byte[], ICommittable>, NotUsed> Process(
        Source<CommittableMessage<string, byte[]>, NotUsed> records, string groupId, DevCounters counters)
    {
        var balances = new Dictionary<string, (long Seq, decimal Balance)>(StringComparer.Ordinal);
        return records.Select(message =>
        {
            var record = message.Record;
            var tx = AccountsSample.TryParse(record.Message.Value, record.Message.Key, out var error);
            if (tx is null)
            {
                return ProducerMessage.Single(DeadLetter(record, groupId, error!), (ICommittable)message.CommittableOffset);
            }

            var (lastSeq, balance) = balances.GetValueOrDefault(tx.AccountId);
            if (tx.Seq <= lastSeq)
            {
                counters.RecordDuplicate();
                return ProducerMessage.PassThrough<string, byte[], ICommittable>(message.CommittableOffset);
            }

            balance += tx.Amount;
            balances[tx.AccountId] = (tx.Seq, balance);
            var output = JsonSerializer.SerializeToUtf8Bytes(new AccountBalance(tx.AccountId, tx.Seq, balance), AccountsSample.Json);
            return ProducerMessage.Single(new ProducerRecord<string, byte[]>(AccountsSample.BalancesTopic, tx.AccountId, output), (ICommittable)message.CommittableOffset);
        });
    }

    /// <summary>The original key, value and headers, plus the dead-letter context headers of DESIGN.md.</summary>
    private static ProducerRecord<string, byte[]> DeadLetter(ConsumeResult<string, byte[]> record, string groupId, string error)
    {
        var headers = new Headers();
        foreach (var header in record.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        void Add(string name, string value) => headers.Add($"actorstream.dlq.{name}", Encoding.UTF8.GetBytes(value));
        Add("original.topic", record.Topic);
        Add("original.partition", record.Partition.Value.ToString(CultureInfo.InvariantCulture));
        Add("original.offset", record.Offset.Value.ToString(CultureInfo.InvariantCulture));
        Add("original.timestamp", record.Message.Timestamp.UnixTimestampMs.ToString(CultureInfo.InvariantCulture));
        Add("consumer.group", groupId);
        Add("entity.type", "Account");
        Add("entity.id", record.Message.Key ?? "");
        Add("stage", "deserialize");
        Add("exception.type", "InvalidRecord");
        Add("exception.message", error.Length > 1000 ? error[..1000] : error);
        Add("attempts", "1");
        Add("failed.at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        Add("node", Environment.MachineName);
        return new ProducerRecord<string, byte[]>(AccountsSample.DeadLetterTopic, record.Message.Key!, record.Message.Value, headers);
    }
}
