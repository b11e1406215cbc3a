using Confluent.Kafka;
using Xunit;

namespace ActorStream.TestKit.Tests;

public sealed class ProduceConsumeTests
{
    [Fact]
    public async Task ProduceAndConsume_RoundTripsEveryRecord_InPerKeyOrder()
    {
        using var kafka = EmbeddedKafka.Start(3, ("accounts", 4));
        const int keys = 5;
        const int perKey = 20;

        using (var producer = TestClients.Producer(kafka))
        {
            var deliveries = new List<Task<DeliveryResult<string, string>>>();
            for (var seq = 0; seq < perKey; seq++)
            {
                for (var k = 0; k < keys; k++)
                {
                    deliveries.Add(producer.ProduceAsync(
                        "accounts",
                        new Message<string, string> { Key = $"a-{k}", Value = $"a-{k}:{seq}", Headers = [new Header("h", [1, 2])] }));
                }
            }

            var results = await Task.WhenAll(deliveries).WaitAsync(TestClients.DefaultTimeout);
            Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        }

        using var consumer = TestClients.Consumer(kafka, "round-trip");
        consumer.Subscribe("accounts");
        var records = TestClients.ConsumeExactly(consumer, keys * perKey);

        Assert.Equal(keys * perKey, records.Select(r => r.Message.Value).Distinct().Count());
        foreach (var byKey in records.GroupBy(r => r.Message.Key))
        {
            Assert.Single(byKey.Select(r => r.Partition.Value).Distinct());
            var sequence = byKey.Select(r => int.Parse(r.Message.Value.Split(':')[1])).ToList();
            Assert.Equal(Enumerable.Range(0, perKey), sequence);
        }

        Assert.All(records, r => Assert.Equal(new byte[] { 1, 2 }, r.Message.Headers.GetLastBytes("h")));
        consumer.Close();
    }
}
