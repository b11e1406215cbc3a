using Akka.Actor;
using ActorStream.Entities;
using ActorStream.Internal.Hosting;

namespace ActorStream;

/// <summary>
/// Per actor system services of ActorStream: the entity registry and the output emitter. Created on
/// first use; <see cref="Configure"/> replaces the registry or emitter before pipelines start.
/// </summary>
public sealed class ActorStreamExtension : IExtension
{
    private IRecordEmitter? _emitter;

    internal ActorStreamExtension(ExtendedActorSystem system)
    {
        System = system;
    }

    /// <summary>The entity types this node can host.</summary>
    public EntityRegistry Entities { get; private set; } = new();

    /// <summary>Sends entity outputs through the node's idempotent producer.</summary>
    public IRecordEmitter Emitter
    {
        get
        {
            var emitter = Volatile.Read(ref _emitter);
            if (emitter is not null)
            {
                return emitter;
            }

            var created = new KafkaRecordEmitter(System);
            return Interlocked.CompareExchange(ref _emitter, created, null) ?? created;
        }
    }

    private ExtendedActorSystem System { get; }

    /// <summary>The extension of <paramref name="system"/>.</summary>
    public static ActorStreamExtension Get(ActorSystem system) => system.WithExtension<ActorStreamExtension, ActorStreamExtensionId>();

    /// <summary>Replaces the registry and/or the emitter (tests use an in-memory emitter).</summary>
    public ActorStreamExtension Configure(EntityRegistry? entities = null, IRecordEmitter? emitter = null)
    {
        if (entities is not null)
        {
            Entities = entities;
        }

        if (emitter is not null)
        {
            Volatile.Write(ref _emitter, emitter);
        }

        return this;
    }
}

/// <summary>Extension id of <see cref="ActorStreamExtension"/>.</summary>
public sealed class ActorStreamExtensionId : ExtensionIdProvider<ActorStreamExtension>
{
    /// <inheritdoc />
    public override ActorStreamExtension CreateExtension(ExtendedActorSystem system) => new(system);
}
