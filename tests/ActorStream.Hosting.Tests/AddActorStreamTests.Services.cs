using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Hosting.Internal;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.TestKit.Entities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorStream.Hosting.Tests;

/// <summary>Entities from the host's service provider; Microsoft.Extensions.Configuration mapped onto actorstream.* keys.</summary>
public sealed partial class AddActorStreamTests
{
    [Fact]
    public async Task Entities_get_their_constructor_dependencies_from_the_host_with_a_scope_per_entity_instance()
    {
        var topic = NewTopic(4);
        _kafka.CreateTopic($"{topic}.out", 4);
        _kafka.CreateTopic($"{topic}.dlq", 4);
        var produced = Produce(topic, keys: 6, perKey: 10);

        using var host = new HostBuilder().ConfigureServices(services => services
            .AddSingleton<IGreeter, Greeter>()
            .AddScoped<EntityScope>()
            .AddActorStream(b => b
                .WithBootstrapServers(_kafka.BootstrapServers)
                .WithConfig(FastConsumer)
                .AddPipeline<GreetingEntity>("greetings", p => p.Topic(topic).EmitTo($"{topic}.out"))))
            .Build();
        await host.StartAsync();
        var node = host.Services.GetRequiredService<ActorStreamNode>();
        Assert.Single(await node.Pipelines.Started.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.NotNull(node.HttpUrl);

        await Eventually(() => GreetingEntity.For(topic).Count >= produced, TimeSpan.FromSeconds(60), () => $"handled {GreetingEntity.For(topic).Count} of {produced}");
        var seen = GreetingEntity.For(topic).ToList();
        Assert.Equal(produced, seen.Count);
        foreach (var perKey in seen.GroupBy(s => s.Key))
        {
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), perKey.Select(s => s.Seq));
            Assert.All(perKey, s => Assert.Equal($"hello {perKey.Key} #{s.Seq}", s.Greeting));

            // One entity instance handled the key (no failure, no passivation): one scope throughout.
            Assert.Single(perKey.Select(s => s.Scope).Distinct());
        }

        var scopes = seen.Select(s => s.Scope).Distinct().ToList();
        Assert.Equal(6, scopes.Count);
        Assert.All(scopes, id => Assert.True(EntityScope.Live[id], "a running entity's scope is not disposed"));

        // The entities stop with the node, and their scopes (with the scoped services) are disposed.
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await node.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(scopes, id => Assert.False(EntityScope.Live[id], "the scope of a stopped entity is disposed"));
    }

    [Fact]
    public async Task An_application_with_its_own_akka_hosting_adds_the_node_to_its_actor_system()
    {
        var topic = NewTopic(2);
        _kafka.CreateTopic($"{topic}.out", 2);
        _kafka.CreateTopic($"{topic}.dlq", 2);
        var produced = Produce(topic, keys: 4, perKey: 5);

        using var host = new HostBuilder().ConfigureServices(services => services
            .AddSingleton<IGreeter, Greeter>()
            .AddScoped<EntityScope>()
            .AddAkka("own-system", (akka, provider) => akka
                .AddHocon(Akka.Configuration.ConfigurationFactory.ParseString("own.marker = yes"), Akka.Hosting.HoconAddMode.Prepend)
                .WithActorStream(provider, b => b
                    .WithBootstrapServers(_kafka.BootstrapServers)
                    .WithConfig(FastConsumer)
                    .AddPipeline<GreetingEntity>("own-greetings", p => p.Topic(topic).EmitTo($"{topic}.out")))))
            .Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("own-system", system.Name);
        Assert.Equal("yes", system.Settings.Config.GetString("own.marker"));
        var node = ActorStreamNode.For(system);
        Assert.Single(await node.Pipelines.Started.WaitAsync(TimeSpan.FromSeconds(60)));
        await Eventually(() => GreetingEntity.For(topic).Count >= produced, TimeSpan.FromSeconds(60), () => $"handled {GreetingEntity.For(topic).Count} of {produced}");

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await node.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(EndOffsets(topic, 2), Committed("own-greetings", topic, 2));
    }

    [Fact]
    public async Task A_missing_constructor_dependency_fails_the_host_start_naming_the_parameter_before_anything_runs()
    {
        using var host = new HostBuilder().ConfigureServices(services => services
            .AddScoped<EntityScope>()
            .AddActorStream(b => b
                .WithBootstrapServers(_kafka.BootstrapServers)
                .WithConfig(FastConsumer)
                .AddPipeline<GreetingEntity>("greetings", p => p.Topic("greetings"))))
            .Build();
        var error = await Assert.ThrowsAnyAsync<ActorStreamConfigurationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.StartsWith("actorstream.pipelines.greetings.entity: entity type GreetingEntity cannot be created from the service provider: constructor parameter(s) 'greeter' (IGreeter) are not registered services", error.Message);
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_entity_probe_creates_entities_from_a_service_provider_as_pipelines_do()
    {
        using var services = new ServiceCollection().AddSingleton<IGreeter, Greeter>().AddScoped<EntityScope>().BuildServiceProvider();
        using var system = ActorSystem.Create("probe-di", "akka.loglevel = WARNING");
        try
        {
            var probe = new EntityProbe<GreetingEntity>(system, "k-1", topic: "probe-di", services: services);
            var outcome = await probe.SendAsync(new SeqValue(1));
            Assert.True(outcome.Processed);
            Assert.Equal("hello k-1 #1", Assert.Single(GreetingEntity.For("probe-di")).Greeting);

            var missing = Assert.Throws<ArgumentException>(() => new EntityProbe<GreetingEntity>(system, "k-2"));
            Assert.Contains("GreetingEntity has no public parameterless constructor", missing.Message);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Application_configuration_maps_onto_actorstream_keys_by_one_rule()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ActorStream:Http:AdminToken"] = "secret",
            ["ACTORSTREAM:HTTP:MAX_REQUEST_BYTES"] = "2048",
            ["ActorStream:Cluster:Bootstrap:ContactPoints:0"] = "10.0.0.1:8558",
            ["ActorStream:Cluster:Bootstrap:ContactPoints:1"] = "10.0.0.2:8558",
            ["ActorStream:Topics:accounts.balances:Partitions"] = "4",
            ["ActorStream:Kafka:Consumer:Properties:session.timeout.ms"] = "6000",
            ["ActorStream:Monitoring:Enabled"] = "False",
            ["ActorStream:Pipelines:orders:MaxInFlightPerPartition"] = "64",
            ["Akka:Remote:DotNetty:Tcp:Hostname"] = "10.0.0.9",
            ["Logging:LogLevel:Default"] = "Warning",
        }).Build();

        var hocon = AppConfiguration.ToHocon(configuration);
        Assert.Equal("secret", hocon.GetString("actorstream.http.admin-token"));
        Assert.Equal(2048, hocon.GetInt("actorstream.http.max-request-bytes"));
        Assert.Equal(["10.0.0.1:8558", "10.0.0.2:8558"], hocon.GetStringList("actorstream.cluster.bootstrap.contact-points"));
        Assert.Equal(4, hocon.GetInt("actorstream.topics.\"accounts.balances\".partitions"));
        Assert.Equal("6000", hocon.GetString("actorstream.kafka.consumer.properties.\"session.timeout.ms\""));
        Assert.False(hocon.GetBoolean("actorstream.monitoring.enabled"));
        Assert.Equal(64, hocon.GetInt("actorstream.pipelines.orders.max-in-flight-per-partition"));
        Assert.Equal("10.0.0.9", hocon.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.False(hocon.HasPath("logging"));
    }

    [Fact]
    public void An_invalid_value_from_application_configuration_is_named_with_its_key_and_source()
    {
        var directory = Directory.CreateTempSubdirectory("actorstream-appsettings-").FullName;
        var variable = "ActorStream__Pipelines__envcheck__Topic";
        try
        {
            var json = Path.Combine(directory, "appsettings.json");
            File.WriteAllText(json, """{ "ActorStream": { "Pipelines": { "envcheck": { "Entity": "Order", "MaxInFlightPerPartition": -3 } } } }""");
            Environment.SetEnvironmentVariable(variable, "envcheck-topic");
            var configuration = new ConfigurationBuilder().AddJsonFile(json).AddEnvironmentVariables().Build();
            var builder = new ActorStreamBuilder().WithBootstrapServers("127.0.0.1:1").AddEntity<OrderEntity>().AddPipelinesFromConfig();

            var error = Assert.Throws<ActorStreamConfigurationException>(() => NodeComposition.Create(builder, ConfigurationFactory.Empty, configuration, null, NullLogger.Instance));
            Assert.StartsWith("actorstream.pipelines.envcheck.max-in-flight-per-partition:", error.Message);
            Assert.EndsWith($"(set in ActorStream:Pipelines:envcheck:MaxInFlightPerPartition from {json})", error.Message);

            // The topic came from the environment: the pipeline read it (the error is about the other key).
            Assert.Equal("envcheck-topic", AppConfiguration.ToHocon(configuration).GetString("actorstream.pipelines.envcheck.topic"));
            Assert.Equal($"ActorStream:Pipelines:envcheck:Topic from environment variable {variable}",
                AppConfiguration.Describe(configuration, "actorstream.pipelines.envcheck.topic"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Directory.Delete(directory, recursive: true);
        }
    }
}
