using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Hosting.Internal;

/// <summary>A pipeline declared in code: built once the application's pipeline defaults are known.</summary>
/// <param name="Name">The pipeline's name.</param>
/// <param name="Build">Builds the settings over the given defaults section (null: reference defaults).</param>
/// <param name="RegisterRegion">Registers the pipeline's shard region in the actor registry under the entity type.</param>
internal sealed record PipelineDeclaration(string Name, Func<Config?, PipelineSettings> Build, Action<IActorRegistry, IActorRef> RegisterRegion);
