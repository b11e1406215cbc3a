using System.Text.Json;
using Akka.Actor;
using ActorStream.Entities;
using ActorStream.Host.Sample;
using ActorStream.TestKit.Entities;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>The sample Account entity, unit-tested without Kafka through the entity test kit.</summary>
public sealed class AccountEntityTests : IAsyncLifetime
{
    // Event-sourced: each test class gets its own SQLite file, so earlier runs leave no state behind.
    private readonly string _directory = Directory.CreateTempSubdirectory("account-tests-").FullName;
    private readonly ActorSystem _system;

    public AccountEntityTests()
    {
        _system = ActorSystem.Create("account-tests", Akka.Configuration.ConfigurationFactory.ParseString(
            $"actorstream.persistence.sqlite.path = \"{Path.Combine(_directory, "test.db")}\"")
            .WithFallback(ActorStream.Persistence.ActorStreamPersistence.SerializationConfig));
    }

    [Fact]
    public async Task Applies_transactions_in_order_and_emits_the_balance()
    {
        var probe = new EntityProbe<AccountEntity>(_system, "a-1");
        Assert.True((await probe.SendAsync(new AccountTransaction("a-1", 1, 10.5m))).Processed);
        var second = await probe.SendAsync(new AccountTransaction("a-1", 2, -2.25m));

        Assert.True(second.Processed);
        var output = Assert.Single(second.Outputs);
        Assert.Equal("accounts.balances", output.Topic);
        Assert.Equal("a-1", output.Key);
        Assert.Equal(new AccountBalance("a-1", 2, 8.25m), JsonSerializer.Deserialize<AccountBalance>(output.Value, EntityJson.Options));
        Assert.Equal(2, probe.Emitted.Count);
    }

    [Fact]
    public async Task A_redelivered_transaction_is_acknowledged_but_not_applied_again()
    {
        var probe = new EntityProbe<AccountEntity>(_system, "a-2");
        await probe.SendAsync(new AccountTransaction("a-2", 1, 5m));
        await probe.SendAsync(new AccountTransaction("a-2", 2, 5m));
        var again = await probe.SendAsync(new AccountTransaction("a-2", 2, 5m));

        Assert.True(again.Processed);
        Assert.Empty(again.Outputs);
        var last = JsonSerializer.Deserialize<AccountBalance>(probe.Emitted[^1].Value, EntityJson.Options);
        Assert.Equal(10m, last!.Balance);
    }

    [Fact]
    public async Task A_transaction_for_another_account_fails_the_entity()
    {
        var probe = new EntityProbe<AccountEntity>(_system, "a-3");
        var outcome = await probe.SendAsync(new AccountTransaction("a-4", 1, 5m));

        Assert.False(outcome.Processed);
        Assert.IsType<InvalidOperationException>(outcome.Error);
        Assert.Contains("'a-4'", outcome.Error!.Message);
        Assert.Empty(outcome.Outputs);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_balance_survives_a_restart_of_the_entity()
    {
        var probe = new EntityProbe<AccountEntity>(_system, "a-5");
        await probe.SendAsync(new AccountTransaction("a-5", 1, 7m));
        await probe.SendAsync(new AccountTransaction("a-5", 2, 3m));

        // A new probe = a new entity actor for the same id: it recovers from the journal.
        var again = new EntityProbe<AccountEntity>(_system, "a-5");
        var outcome = await again.SendAtOffsetAsync(new AccountTransaction("a-5", 3, 1m), offset: 2);
        Assert.True(outcome.Processed, outcome.Error?.ToString());
        var output = JsonSerializer.Deserialize<AccountBalance>(Assert.Single(outcome.Outputs).Value, EntityJson.Options);
        Assert.Equal(new AccountBalance("a-5", 3, 11m), output);
    }

    public async Task DisposeAsync()
    {
        await _system.Terminate();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
