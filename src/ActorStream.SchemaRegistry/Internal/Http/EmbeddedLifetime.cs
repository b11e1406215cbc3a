using Microsoft.Extensions.Hosting;

namespace ActorStream.SchemaRegistry.Internal.Http;

/// <summary>
/// A host lifetime that leaves signals alone: the registry runs inside a node or a CLI command, which own
/// SIGINT/SIGTERM and stop the server through <see cref="SchemaRegistryServer.StopAsync"/>.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
