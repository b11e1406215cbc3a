using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ActorStream.TestKit;
using Confluent.Kafka;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>One <c>actorstream kafka --brokers 3</c> process shared by the control API tests.</summary>
public sealed class KafkaProcessFixture : IAsyncLifetime
{
    public EmbeddedKafkaProcess Process { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Process = await Actorstream.StartKafkaAsync("--brokers", "3", "--topic", "fixture:3");
        Http = new HttpClient { BaseAddress = Process.ControlUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        var exitCode = await Process.StopAsync();
        await Process.DisposeAsync();
        Assert.Equal(0, exitCode);
    }
}

public sealed class ControlApiTests(KafkaProcessFixture fixture) : IClassFixture<KafkaProcessFixture>
{
    private EmbeddedKafkaProcess Kafka => fixture.Process;

    [Fact]
    public async Task Health_ReportsBootstrapServersAndBrokers()
    {
        using var response = await fixture.Http.GetAsync("/health");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(Kafka.BootstrapServers, body.RootElement.GetProperty("bootstrapServers").GetString());
        Assert.Equal([1, 2, 3], body.RootElement.GetProperty("brokers").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task PostTopics_Creates201_SameAgain200_OtherPartitions409_AndMetadataShowsIt()
    {
        var created = await PostAsync("/topics", """{"name":"ctl-created","partitions":4}""");
        var again = await PostAsync("/topics", """{"name":"ctl-created","partitions":4}""");
        var conflict = await PostAsync("/topics", """{"name":"ctl-created","partitions":5}""");

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Contains("'ctl-created'", conflict.Error);
        Assert.Equal(4, (await Kafka.Control.GetTopicsAsync())["ctl-created"]);
        using var admin = Admin();
        Assert.Equal(4, admin.GetMetadata("ctl-created", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count);
    }

    [Theory]
    [InlineData("/topics", """{"name":"x" """, 400, "malformed JSON")]
    [InlineData("/topics", "", 400, "empty")]
    [InlineData("/topics", "[1,2]", 400, "JSON object")]
    [InlineData("/topics", """{"partitions":3}""", 400, "'name' is required")]
    [InlineData("/topics", """{"name":"x"}""", 400, "'partitions' is required")]
    [InlineData("/topics", """{"name":"x","partitions":0}""", 400, "'partitions'")]
    [InlineData("/topics", """{"name":"x","partitions":"3"}""", 400, "'partitions'")]
    [InlineData("/topics", """{"name":"x","partitions":2.5}""", 400, "'partitions'")]
    [InlineData("/topics", """{"name":"bad name","partitions":1}""", 400, "'name'")]
    [InlineData("/topics", """{"name":"x","partitions":1,"replicationFactor":4}""", 400, "'replicationFactor'")]
    [InlineData("/brokers/9/down", "", 404, "broker 9")]
    [InlineData("/brokers/0/up", "", 404, "broker 0")]
    [InlineData("/brokers/abc/down", "", 400, "'abc'")]
    [InlineData("/brokers/1/rtt", "{}", 400, "'ms' is required")]
    [InlineData("/brokers/1/rtt", """{"ms":"fast"}""", 400, "'ms'")]
    [InlineData("/brokers/1/rtt", """{"ms":-5}""", 400, "'ms'")]
    [InlineData("/brokers/7/rtt", """{"ms":5}""", 404, "broker 7")]
    [InlineData("/partitions/fixture/0/leader", """{"brokerId":9}""", 404, "broker 9")]
    [InlineData("/partitions/fixture/0/leader", """{"leader":1}""", 400, "'brokerId' is required")]
    [InlineData("/partitions/fixture/abc/leader", """{"brokerId":1}""", 400, "partition 'abc'")]
    [InlineData("/partitions/fixture/99/leader", """{"brokerId":1}""", 404, "'fixture' [99]")]
    [InlineData("/partitions/fixture/0/delete-records", """{"beforeOffset":-1}""", 400, "'beforeOffset'")]
    [InlineData("/partitions/fixture/0/delete-records", """{"beforeOffset":1000}""", 400, "'fixture' [0]")]
    [InlineData("/faults/request-errors", """{"apiKey":"Nope","errors":[6]}""", 400, "'apiKey'")]
    [InlineData("/faults/request-errors", """{"apiKey":-1,"errors":[6]}""", 400, "'apiKey'")]
    [InlineData("/faults/request-errors", """{"apiKey":"Produce"}""", 400, "'errors' is required")]
    [InlineData("/faults/request-errors", """{"apiKey":"Produce","errors":[]}""", 400, "'errors'")]
    [InlineData("/faults/request-errors", """{"apiKey":"Produce","errors":["Bogus"]}""", 400, "errors[0]")]
    [InlineData("/faults/request-errors", """{"apiKey":"Produce","errors":[6, {"x":1}]}""", 400, "errors[1]")]
    [InlineData("/coordinators", """{"keyType":"shard","key":"g","brokerId":1}""", 400, "'keyType'")]
    [InlineData("/coordinators", """{"keyType":"group","key":"g","brokerId":5}""", 404, "broker 5")]
    [InlineData("/no-such-endpoint", "{}", 404, "no endpoint")]
    public async Task BadInput_GetsAClearJsonErrorNamingTheField_NeverA500(string path, string body, int status, string expected)
    {
        var (actualStatus, error) = await PostAsync(path, body);

        Assert.Equal((HttpStatusCode)status, actualStatus);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task OversizedBody_Gets413()
    {
        var body = "{\"name\":\"" + new string('a', 70 * 1024) + "\",\"partitions\":1}";

        var (status, error) = await PostAsync("/topics", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("65536", error);
    }

    [Fact]
    public async Task GetOnUnknownPath_Gets404Json()
    {
        using var response = await fixture.Http.GetAsync("/topics/fixture/partitions");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no endpoint", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PartitionLeader_MoveIsVisibleInMetadata()
    {
        await Kafka.Control.CreateTopicAsync("ctl-leader", 2, replicationFactor: 3);
        using var admin = Admin();
        var leader = admin.GetMetadata("ctl-leader", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single(p => p.PartitionId == 1).Leader;
        var target = leader % 3 + 1;

        await Kafka.Control.SetPartitionLeaderAsync("ctl-leader", 1, target);

        var moved = admin.GetMetadata("ctl-leader", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single(p => p.PartitionId == 1).Leader;
        Assert.Equal(target, moved);
    }

    [Fact]
    public async Task BrokerDownAndUp_ProduceStallsThenSucceeds()
    {
        await Kafka.Control.CreateTopicAsync("ctl-down", 1);
        using var admin = Admin();
        var leader = admin.GetMetadata("ctl-down", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single().Leader;
        using var producer = Producer();
        await producer.ProduceAsync("ctl-down", new Message<string, string> { Key = "k", Value = "before" }).WaitAsync(TimeSpan.FromSeconds(30));

        await Kafka.Control.SetBrokerDownAsync(leader);
        var during = producer.ProduceAsync("ctl-down", new Message<string, string> { Key = "k", Value = "during" });
        var stalled = await Task.WhenAny(during, Task.Delay(TimeSpan.FromMilliseconds(500))) != during;
        await Kafka.Control.SetBrokerUpAsync(leader);
        var result = await during.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(stalled, "the produce completed although the partition leader was down");
        Assert.Equal(1, result.Offset.Value);
    }

    [Fact]
    public async Task RequestErrorsAndRtt_AreInjectedAcrossTheProcessBoundary()
    {
        await Kafka.Control.CreateTopicAsync("ctl-faults", 1);
        using var producer = Producer(c => c.MaxInFlight = 1);
        await producer.ProduceAsync("ctl-faults", new Message<string, string> { Key = "k", Value = "warm-up" }).WaitAsync(TimeSpan.FromSeconds(30));

        await Kafka.Control.PushRequestErrorsAsync(KafkaApiKey.Produce, [ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas]);
        var retried = await producer.ProduceAsync("ctl-faults", new Message<string, string> { Key = "k", Value = "retried" }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, retried.Offset.Value);

        using var admin = Admin();
        var leader = admin.GetMetadata("ctl-faults", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single().Leader;
        var rtt = TimeSpan.FromMilliseconds(200);
        await Kafka.Control.SetBrokerRttAsync(leader, rtt);
        try
        {
            var watch = Stopwatch.StartNew();
            await producer.ProduceAsync("ctl-faults", new Message<string, string> { Key = "k", Value = "slow" }).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(watch.Elapsed >= rtt - TimeSpan.FromMilliseconds(5), $"produce took {watch.Elapsed.TotalMilliseconds} ms");
        }
        finally
        {
            await Kafka.Control.SetBrokerRttAsync(leader, TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task DeleteRecords_TruncatesThePartition()
    {
        await Kafka.Control.CreateTopicAsync("ctl-truncate", 1);
        using (var producer = Producer())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync("ctl-truncate", new Message<string, string> { Key = "k", Value = $"v{i}" }).WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        await Kafka.Control.DeleteRecordsAsync("ctl-truncate", 0, 3);

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = "ctl-truncate" }).Build();
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition("ctl-truncate", 0), TimeSpan.FromSeconds(10));
        Assert.Equal(3, watermarks.Low.Value);
        Assert.Equal(5, watermarks.High.Value);
    }

    [Fact]
    public async Task ControlClient_SurfacesServerErrors()
    {
        var ex = await Assert.ThrowsAsync<EmbeddedKafkaControlException>(() => Kafka.Control.SetBrokerDownAsync(42));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Contains("broker 42", ex.Error);
    }

    private IAdminClient Admin() =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Kafka.BootstrapServers }).Build();

    private IProducer<string, string> Producer(Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            AllowAutoCreateTopics = false,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<string, string>(config).Build();
    }

    private async Task<(HttpStatusCode Status, string Error)> PostAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await fixture.Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var e)
            ? e.GetString() ?? string.Empty
            : string.Empty;
        return (response.StatusCode, error);
    }
}
