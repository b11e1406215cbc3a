using System.Text;
using System.Text.Json;
using ActorStream.Entities;
using ActorStream.Hosting;
using ActorStream.TestKit;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorStream.Service.Tests;

/// <summary>The whole service, as Program.cs composes it, against an embedded Kafka broker (real Kafka protocol over TCP).</summary>
public sealed class ServiceTests : IDisposable
{
    private readonly EmbeddedKafka _kafka = EmbeddedKafka.Start(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("service-tests-").FullName;

    public void Dispose()
    {
        _kafka.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Order_lines_become_running_totals_in_order_and_a_stop_commits_them()
    {
        foreach (var topic in new[] { "orders", "orders.totals", "orders.dlq" })
        {
            _kafka.CreateTopic(topic, 8);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ActorStream:Kafka:BootstrapServers"] = _kafka.BootstrapServers;
        builder.Configuration["ActorStream:Http:Port"] = "0";
        builder.Configuration["ActorStream:Persistence:Sqlite:Path"] = Path.Combine(_directory, "state.db");
        using var host = builder.AddService().Build();
        await host.StartAsync();
        var node = host.Services.GetRequiredService<ActorStreamNode>();
        await node.Pipelines.Started.WaitAsync(TimeSpan.FromSeconds(60));

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            for (var seq = 1; seq <= 5; seq++)
            {
                for (var order = 1; order <= 4; order++)
                {
                    var line = new OrderLine($"o-{order}", seq, "apple", order);
                    producer.Produce("orders", new Message<string, string> { Key = line.OrderId, Value = JsonSerializer.Serialize(line, EntityJson.Options) });
                }
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var totals = ReadTotals(expected: 20, TimeSpan.FromSeconds(60));
        foreach (var order in totals.GroupBy(t => t.OrderId))
        {
            var n = int.Parse(order.Key[2..]);
            Assert.Equal(Enumerable.Range(1, 5).Select(s => (long)s), order.Select(t => t.Seq));
            Assert.Equal(Enumerable.Range(1, 5).Select(s => s * n * 0.5m), order.Select(t => t.Total));
        }

        await host.StopAsync();
    }

    private List<OrderTotal> ReadTotals(int expected, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers,
            GroupId = $"totals-reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("orders.totals");
        var totals = new List<OrderTotal>();
        var deadline = DateTime.UtcNow + timeout;
        while (totals.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                totals.Add(JsonSerializer.Deserialize<OrderTotal>(record.Message.Value, EntityJson.Options)!);
            }
        }

        Assert.True(totals.Count == expected, $"{totals.Count} of {expected} totals within {timeout}");
        return totals;
    }
}
