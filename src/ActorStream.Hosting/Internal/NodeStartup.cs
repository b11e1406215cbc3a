using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Hosting.Internal;

/// <summary>Wires an <see cref="ActorStreamBuilder"/> into Akka.Hosting: node defaults, cluster join, pipelines on member up.</summary>
internal static class NodeStartup
{
    // The same node defaults as `actorstream run` (src/ActorStream.Host/node.conf); the application's
    // own HOCON and Akka.Hosting options take precedence.
    private const string NodeDefaults = """
        akka {
          actor.provider = cluster
          remote.dot-netty.tcp {
            hostname = "127.0.0.1"
            port = 0
          }
          cluster.sharding.state-store-mode = ddata
          coordinated-shutdown.phases.service-requests-done.timeout = 30s
        }
        """;

    public static void Configure(AkkaConfigurationBuilder akka, ActorStreamBuilder builder, ActorStreamPipelines pipelines)
    {
        akka.AddHocon(ConfigurationFactory.ParseString(NodeDefaults), HoconAddMode.Append);
        foreach (var config in builder.Config)
        {
            akka.AddHocon(config, HoconAddMode.Prepend);
        }

        if (builder.BootstrapServers is { } servers)
        {
            akka.AddHocon(ConfigurationFactory.ParseString($"actorstream.kafka.bootstrap-servers = \"{servers.Replace("\"", "", StringComparison.Ordinal)}\""), HoconAddMode.Prepend);
        }

        akka.WithActors((system, registry) => Start(system, registry, builder, pipelines));
    }

    private static void Start(ActorSystem system, IActorRegistry registry, ActorStreamBuilder builder, ActorStreamPipelines pipelines)
    {
        // Everything that can be wrong with the configuration fails here, while the host starts.
        var settings = ResolveSettings(system.Settings.Config, builder);
        ActorStreamExtension.Get(system).Configure(entities: builder.Entities);

        var cluster = Cluster.Get(system);
        var log = Logging.GetLogger(system, "ActorStream.Hosting");
        cluster.RegisterOnMemberUp(() =>
        {
            var started = new List<Pipeline>();
            try
            {
                foreach (var (pipeline, register) in settings)
                {
                    log.Info("Starting pipeline {0}: {1} → entity {2} (group {3}, DLQ {4})",
                        pipeline.Name, string.Join(",", pipeline.Topics), pipeline.Entity, pipeline.GroupId, pipeline.DlqTopic);
                    var running = Pipeline.Start(system, pipeline);
                    register?.Invoke(registry, running.Region);
                    started.Add(running);
                }

                pipelines.SetStarted(started.AsReadOnly());
            }
            catch (Exception ex)
            {
                log.Error(ex, "A pipeline could not start; stopping the node");
                pipelines.SetFailed(ex);
                CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance);
            }
        });

        if (builder.JoinSelfWithoutSeeds && system.Settings.Config.GetStringList("akka.cluster.seed-nodes").Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
        }
    }

    /// <summary>Code-declared pipelines (over the application's defaults), then config ones; names and groups unique, entities registered.</summary>
    internal static IReadOnlyList<(PipelineSettings Settings, Action<IActorRegistry, IActorRef>? Register)> ResolveSettings(Config config, ActorStreamBuilder builder)
    {
        var defaults = PipelineDefaults.Section(config);
        var result = builder.Pipelines.Select(d => (d.Build(defaults), (Action<IActorRegistry, IActorRef>?)d.RegisterRegion)).ToList();
        if (builder.PipelinesFromConfig)
        {
            result.AddRange(PipelineSettings.FromConfig(config).Select(s => (s, (Action<IActorRegistry, IActorRef>?)null)));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (settings, _) in result)
        {
            if (!names.Add(settings.Name))
            {
                throw new PipelineConfigurationException(settings.Name, "", "is declared both in code and in actorstream.pipelines");
            }

            if (!groups.TryAdd(settings.GroupId, settings.Name))
            {
                throw new PipelineConfigurationException(settings.Name, "group-id",
                    $"consumer group '{settings.GroupId}' is also used by pipeline '{groups[settings.GroupId]}'; every pipeline needs its own group");
            }

            if (!builder.Entities.Contains(settings.Entity))
            {
                throw new PipelineConfigurationException(settings.Name, "entity",
                    $"no entity named '{settings.Entity}' is registered; registered: {string.Join(", ", builder.Entities.All.Select(e => e.Name).Order())} (add it with AddEntity<TEntity>(\"{settings.Entity}\"))");
            }
        }

        return result;
    }
}
