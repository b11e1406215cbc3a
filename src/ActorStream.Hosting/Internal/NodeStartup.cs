using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Hosting.Internal;

/// <summary>The pipelines a builder declares, resolved against the node's configuration.</summary>
internal static class NodeStartup
{
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
