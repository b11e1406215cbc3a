using Akka;
using Akka.Actor;
using ActorStream.Hosting.Internal;
using ActorStream.Hosting.Internal.Http;
using ActorStream.Pipelines;
using ActorStream.TestKit;

namespace ActorStream.Hosting;

/// <summary>
/// The ActorStream node of a host: its pipelines, where its Kafka, schema registry and HTTP
/// endpoints are, and when it has stopped. Injectable where <c>AddActorStream</c> registered the
/// node; with <c>akka.WithActorStream(...)</c> in an application's own <c>AddAkka</c>, get it with
/// <see cref="For"/>.
/// </summary>
public sealed class ActorStreamNode
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, ActorStreamNode> Nodes = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private ActorSystem? _system;

    internal ActorStreamNode(ActorStreamBuilder builder)
    {
        Builder = builder;
    }

    /// <summary>The node's pipelines (running once the node is an Up cluster member).</summary>
    public ActorStreamPipelines Pipelines { get; } = new();

    /// <summary>The Kafka bootstrap servers the node uses (the embedded broker's address with <c>embedded</c>).</summary>
    public string BootstrapServers => Composition?.BootstrapServers ?? throw NotComposed();

    /// <summary>The in-process broker, when <c>actorstream.kafka.bootstrap-servers = embedded</c>.</summary>
    public EmbeddedKafka? EmbeddedKafka => Composition?.Embedded.Kafka;

    /// <summary>The schema registry the node started itself (<c>actorstream.schema-registry.embedded</c>), if it did.</summary>
    public Uri? EmbeddedSchemaRegistryUrl => Composition?.Embedded.Registry?.Url;

    /// <summary>The base URL of the node's HTTP endpoints (metrics, health, API, dashboard) once they are up; null when disabled.</summary>
    public Uri? HttpUrl => Http is { } http ? new Uri(http.Url) : null;

    /// <summary>The node's actor system.</summary>
    /// <exception cref="InvalidOperationException">The actor system has not been created yet.</exception>
    public ActorSystem System => _system ?? throw new InvalidOperationException("The ActorStream node's actor system has not started yet");

    /// <summary>
    /// Set when the node stopped because a pipeline failed (its error), rather than by a host stop or
    /// the cluster; <c>actorstream run</c> exits with 1 then.
    /// </summary>
    public Exception? Failure { get; internal set; }

    /// <summary>Completes once the node has released everything it started (actor system, HTTP endpoints, embedded broker and registry, temporary state).</summary>
    public Task Stopped => _stopped.Task;

    internal ActorStreamBuilder Builder { get; }

    /// <summary>True once the node is bound to its actor system.</summary>
    internal bool Attached => _system is not null;



    internal NodeComposition? Composition { get; set; }

    internal NodeHttpServer? Http { get; set; }

    internal IReadOnlyList<Pipeline> RunningPipelines => Pipelines.All;

    /// <summary>The node running on <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">No ActorStream node runs on that actor system.</exception>
    public static ActorStreamNode For(ActorSystem system) =>
        Nodes.TryGetValue(system, out var node)
            ? node
            : throw new InvalidOperationException($"No ActorStream node runs on actor system '{system.Name}'; add one with akka.WithActorStream(...) or services.AddActorStream(...)");

    /// <summary>Binds the node to its actor system; everything the node started is released once the system terminated.</summary>
    internal void Attach(ActorSystem system)
    {
        lock (_gate)
        {
            if (_system is not null)
            {
                return;
            }

            _system = system;
        }

        Nodes.AddOrUpdate(system, this);

        // Not a continuation of WhenTerminated here: while the actor system starts, that task is a
        // placeholder that never completes. Coordinated shutdown's last phase (every stop runs it)
        // waits for the real one.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "actorstream-release", async () =>
        {
            await system.WhenTerminated.ConfigureAwait(false);
            await ReleaseAsync().ConfigureAwait(false);
            return Done.Instance;
        });
    }

    /// <summary>Releases what the composition started (embedded broker and registry, temporary state); idempotent.</summary>
    internal async Task ReleaseAsync()
    {
        try
        {
            if (Http is { } http)
            {
                await http.DisposeAsync().ConfigureAwait(false);
            }

            if (Composition is { } composition)
            {
                await composition.Embedded.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private static InvalidOperationException NotComposed() => new("The ActorStream node has not been composed yet (the host has not started)");
}
