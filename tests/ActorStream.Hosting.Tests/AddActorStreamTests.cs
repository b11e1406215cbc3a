using System.Text;
using Akka.Hosting;
using ActorStream.Pipelines.Settings;
using ActorStream.TestKit;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorStream.Hosting.Tests;

public sealed partial class AddActorStreamTests : IDisposable
{
    private const string FastConsumer = """
        actorstream.kafka.consumer.poll-timeout = 20ms
        actorstream.kafka.consumer.properties {
          "session.timeout.ms" = 6000
          "heartbeat.interval.ms" = 500
        }
        actorstream.kafka.committer.max-interval = 200ms
        actorstream.http.port = 0
        akka.loglevel = WARNING
        """;

    private readonly EmbeddedKafka _kafka = EmbeddedKafka.Start(1);

    public void Dispose() => _kafka.Dispose();

    [Fact]
    public async Task A_code_declared_pipeline_processes_every_record_in_key_order_and_host_stop_commits_them()
    {
        var topic = NewTopic(4);
        _kafka.CreateTopic($"{topic}.out", 4);
        _kafka.CreateTopic($"{topic}.dlq", 4);
        var produced = Produce(topic, keys: 20, perKey: 25);

        using var host = BuildHost(b => b
            .WithBootstrapServers(_kafka.BootstrapServers)
            .WithConfig(FastConsumer)
            .AddPipeline<OrderEntity>("orders", p => p.Topic(topic).EmitTo($"{topic}.out").MaxInFlightPerPartition(16)));
        await host.StartAsync();

        var pipelines = host.Services.GetRequiredService<ActorStreamPipelines>();
        var running = await pipelines.Started.WaitAsync(TimeSpan.FromSeconds(60));
        var orders = Assert.Single(running);
        Assert.Equal("Order", orders.Settings.Entity);
        Assert.Equal("orders", orders.Settings.GroupId);
        Assert.Equal($"{topic}.dlq", orders.Settings.DlqTopic);

        // The pipeline's shard region is injectable under its entity type.
        var region = await host.Services.GetRequiredService<IRequiredActor<OrderEntity>>().GetAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(orders.Region, region);

        await Eventually(() => OrderEntity.For(topic).Count >= produced, TimeSpan.FromSeconds(60),
            () => $"handled {OrderEntity.For(topic).Count} of {produced}");

        var seen = OrderEntity.For(topic).ToList();
        Assert.Equal(produced, seen.Count);
        foreach (var perKey in seen.GroupBy(s => s.Key))
        {
            Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), perKey.Select(s => s.Seq));
        }

        // Host stop = coordinated shutdown: the pipeline drains and commits before the node leaves.
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(EndOffsets(topic, 4), Committed("orders", topic, 4));
        Assert.True(orders.Completion.IsCompleted);
    }

    [Fact]
    public void Code_and_config_declarations_give_the_same_settings()
    {
        var builder = new ActorStreamBuilder()
            .AddEntity<AuditEntity>("Audit")
            .AddPipeline<OrderEntity>("orders", p => p
                .Topic("orders")
                .GroupId("orders-v2")
                .MaxInFlightPerPartition(64)
                .AckTimeout(TimeSpan.FromSeconds(45))
                .Retry(4, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), 0.1)
                .OnException<TimeoutException>(SupervisionDecision.Retry)
                .OnException<FormatException>(SupervisionDecision.DeadLetter)
                .EmitTo("orders.out")
                .OffsetOutOfRange(PipelineOffsetOutOfRange.Latest));
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            actorstream.pipeline-defaults.ack-timeout = 45s
            actorstream.pipeline-defaults.critical = on
            actorstream.pipelines.orders {
              topic = "orders"
              group-id = "orders-v2"
              entity = "Order"
              max-in-flight-per-partition = 64
              retry { max-attempts = 4, min-backoff = 100ms, max-backoff = 5s, random-factor = 0.1 }
              supervision.rules {
                "System.TimeoutException" = retry
                "System.FormatException" = dead-letter
              }
              emit-topics = ["orders.out"]
              offset-out-of-range = latest
            }
            """);

        var fromCode = Internal.NodeStartup.ResolveSettings(config, builder).Single().Settings;
        var fromConfig = PipelineSettings.FromConfig(config).Single();
        Assert.Equal(fromConfig, fromCode);

        // critical comes to the code-declared pipeline from the application's pipeline-defaults.
        Assert.Equal((true, PipelineOffsetOutOfRange.Latest), (fromCode.Critical, fromCode.OffsetOutOfRange));
    }

    [Fact]
    public void Application_pipeline_defaults_apply_to_code_declared_pipelines()
    {
        var builder = new ActorStreamBuilder().AddPipeline<OrderEntity>("orders", p => p.Topic("orders"));
        var config = Akka.Configuration.ConfigurationFactory.ParseString("actorstream.pipeline-defaults.max-in-flight-per-partition = 7");
        Assert.Equal(7, Internal.NodeStartup.ResolveSettings(config, builder).Single().Settings.MaxInFlightPerPartition);
    }

    [Fact]
    public void An_invalid_code_declared_value_is_refused_at_registration_naming_pipeline_and_key()
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<PipelineConfigurationException>(() =>
            services.AddActorStream(b => b.AddPipeline<OrderEntity>("orders", p => p.Topic("orders").MaxInFlightPerPartition(0))));
        Assert.Contains("actorstream.pipelines.orders.max-in-flight-per-partition", error.Message);
    }

    [Fact]
    public void A_pipeline_without_a_topic_is_refused_at_registration()
    {
        var error = Assert.Throws<PipelineConfigurationException>(() =>
            new ServiceCollection().AddActorStream(b => b.AddPipeline<OrderEntity>("orders", _ => { })));
        Assert.Contains("actorstream.pipelines.orders.topic", error.Message);
    }

    [Fact]
    public void A_config_pipeline_naming_an_unregistered_entity_is_refused_with_the_registered_names()
    {
        var builder = new ActorStreamBuilder().AddEntity<AuditEntity>().AddPipelinesFromConfig();
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""actorstream.pipelines.accounts { topic = "accounts", entity = "Acount" }""");
        var error = Assert.Throws<PipelineConfigurationException>(() => Internal.NodeStartup.ResolveSettings(config, builder));
        Assert.Contains("actorstream.pipelines.accounts.entity", error.Message);
        Assert.Contains("'Acount'", error.Message);
        Assert.Contains("Audit", error.Message);
    }

    [Fact]
    public void The_same_pipeline_name_in_code_and_config_is_refused()
    {
        var builder = new ActorStreamBuilder().AddPipeline<OrderEntity>("orders", p => p.Topic("orders")).AddPipelinesFromConfig();
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""actorstream.pipelines.orders { topic = "orders2", entity = "Order", group-id = "g2" }""");
        var error = Assert.Throws<PipelineConfigurationException>(() => Internal.NodeStartup.ResolveSettings(config, builder));
        Assert.Contains("actorstream.pipelines.orders", error.Message);
        Assert.Contains("both in code and in actorstream.pipelines", error.Message);
    }

    [Fact]
    public void Declaring_no_pipeline_is_an_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddActorStream(b => b.AddEntity<OrderEntity>()));
        Assert.Contains("no pipeline is declared", error.Message);
    }

    [Fact]
    public async Task A_config_error_found_at_start_fails_the_host_start()
    {
        // Valid at registration; the application's defaults (known only at start) break it.
        using var host = BuildHost(b => b
            .WithBootstrapServers(_kafka.BootstrapServers)
            .WithConfig("actorstream.pipeline-defaults.ack-timeout = -1s")
            .AddPipeline<OrderEntity>("orders", p => p.Topic("orders")));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("ack-timeout", error.ToString());
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static IHost BuildHost(Action<ActorStreamBuilder> configure) =>
        new HostBuilder().ConfigureServices(services => services.AddActorStream(configure)).Build();

    private string NewTopic(int partitions)
    {
        var topic = $"t-{Guid.NewGuid():N}"[..14];
        _kafka.CreateTopic(topic, partitions);
        return topic;
    }

    private int Produce(string topic, int keys, int perKey)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = _kafka.BootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            EnableIdempotence = true,
        }).Build();
        for (var seq = 1; seq <= perKey; seq++)
        {
            for (var k = 0; k < keys; k++)
            {
                producer.Produce(topic, new Message<string, byte[]> { Key = $"k-{k}", Value = Encoding.UTF8.GetBytes($$"""{"seq":{{seq}}}""") });
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
        return keys * perKey;
    }

    private Dictionary<int, long> EndOffsets(string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = "end-offsets" }).Build();
        return Enumerable.Range(0, partitions).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    private Dictionary<int, long> Committed(string group, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = group }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value < 0 ? 0 : c.Offset.Value);
    }

    private static async Task Eventually(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"not within {timeout}: {describe()}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }
}
