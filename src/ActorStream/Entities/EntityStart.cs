using Akka.Actor;

namespace ActorStream.Entities;

/// <summary>What an entity actor is created for: its entity type, its id, and the pipeline's per-entity settings.</summary>
/// <param name="EntityType">The registered entity type name (e.g. <c>Account</c>).</param>
/// <param name="EntityId">The entity id (record key).</param>
/// <param name="SnapshotEvery">Event-sourced entities snapshot every this many events (0 = never).</param>
public sealed record EntityStart(string EntityType, string EntityId, int SnapshotEvery = 1000);

/// <summary>Implemented by entity bases that need their <see cref="EntityStart"/> before they start (e.g. for the persistence id).</summary>
internal interface IEntityStartAware
{
    void Bind(EntityStart start);
}

/// <summary>Creates the entity through an <see cref="IEntityFactory"/> and hands it its <see cref="EntityStart"/> before PreStart.</summary>
internal sealed class EntityProducer : IIndirectActorProducer
{
    private readonly EntityStart _start;
    private readonly IEntityFactory _factory;

    public EntityProducer(Type entityType, EntityStart start, IEntityFactory factory)
    {
        ActorType = entityType;
        _start = start;
        _factory = factory;
    }

    public Type ActorType { get; }

    public ActorBase Produce()
    {
        var actor = _factory.Create(ActorType);
        if (actor is IEntityStartAware aware)
        {
            aware.Bind(_start);
        }

        return actor;
    }

    public void Release(ActorBase actor) => _factory.Release(actor);
}
