using System.Text.Json;
using Akka.Actor;
using ActorStream.Entities;
using ActorStream.TestKit.Entities;
using Microsoft.Extensions.DependencyInjection;

namespace ActorStream.Service.Tests;

/// <summary>The Order entity without Kafka: records sent as a pipeline sends them, the entity created from services as the node creates it.</summary>
public sealed class OrderEntityTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("order-tests-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddSingleton<IPriceList, PriceList>().BuildServiceProvider();
    private readonly ActorSystem _system;

    public OrderEntityTests()
    {
        // Event-sourced: a SQLite file of its own, so earlier runs leave no state behind.
        _system = ActorSystem.Create("order-tests", Akka.Configuration.ConfigurationFactory.ParseString(
                $"actorstream.persistence.sqlite.path = \"{Path.Combine(_directory, "test.db")}\"")
            .WithFallback(ActorStream.Persistence.ActorStreamPersistence.SerializationConfig));
    }

    [Fact]
    public async Task Lines_add_up_to_the_order_total()
    {
        var probe = new EntityProbe<OrderEntity>(_system, "o-1", topic: "orders", services: _services);
        Assert.True((await probe.SendAsync(new OrderLine("o-1", 1, "apple", 4))).Processed);
        var second = await probe.SendAsync(new OrderLine("o-1", 2, "cheese", 1));

        Assert.True(second.Processed);
        var output = Assert.Single(second.Outputs);
        Assert.Equal(("orders.totals", "o-1"), (output.Topic, output.Key));
        Assert.Equal(new OrderTotal("o-1", 2, 6m, 8m), JsonSerializer.Deserialize<OrderTotal>(output.Value, EntityJson.Options));
    }

    [Fact]
    public async Task A_redelivered_line_is_acknowledged_but_not_added_again()
    {
        var probe = new EntityProbe<OrderEntity>(_system, "o-2", topic: "orders", services: _services);
        await probe.SendAsync(new OrderLine("o-2", 1, "bread", 2));
        var again = await probe.SendAsync(new OrderLine("o-2", 1, "bread", 2));

        Assert.True(again.Processed);
        Assert.Empty(again.Outputs);
        Assert.Single(probe.Emitted);
    }

    [Fact]
    public async Task A_line_for_another_order_fails_the_entity()
    {
        var probe = new EntityProbe<OrderEntity>(_system, "o-3", topic: "orders", services: _services);
        var outcome = await probe.SendAsync(new OrderLine("o-4", 1, "apple", 1));

        Assert.False(outcome.Processed);
        Assert.IsType<InvalidOperationException>(outcome.Error);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
