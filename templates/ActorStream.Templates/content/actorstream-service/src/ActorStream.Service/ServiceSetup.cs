using ActorStream.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorStream.Service;

/// <summary>The service's composition, shared by Program.cs and the tests.</summary>
public static class ServiceSetup
{
    /// <summary>Adds the service's entities, their dependencies and the ActorStream node to <paramref name="builder"/>.</summary>
    public static HostApplicationBuilder AddService(this HostApplicationBuilder builder)
    {
        // Services your entities take in their constructors (each entity instance gets its own DI scope).
        builder.Services.AddSingleton<IPriceList, PriceList>();

        builder.Services.AddActorStream(node => node
            // Pipelines, topics and alerts: service.conf (HOCON). appsettings.json, environment variables
            // (ActorStream__Http__Port=9191, KAFKA_BOOTSTRAP_SERVERS, ACTORSTREAM_SEED_NODES) and the
            // command line (--ActorStream:Http:Port=9191) override it.
            .WithConfigFile(Path.Combine(AppContext.BaseDirectory, "service.conf"))
            // Your entities: one class and one AddEntity<T>() each; pipelines name them in service.conf.
            .AddEntity<OrderEntity>()
            .AddPipelinesFromConfig());
        return builder;
    }
}
