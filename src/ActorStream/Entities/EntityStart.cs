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

/// <summary>Creates <typeparamref name="TEntity"/> and hands it its <see cref="EntityStart"/> before PreStart.</summary>
internal sealed class EntityProducer<TEntity> : IIndirectActorProducer
    where TEntity : ActorBase, new()
{
    private readonly EntityStart _start;

    public EntityProducer(EntityStart start)
    {
        _start = start;
    }

    public Type ActorType => typeof(TEntity);

    public ActorBase Produce()
    {
        var actor = new TEntity();
        if (actor is IEntityStartAware aware)
        {
            aware.Bind(_start);
        }

        return actor;
    }

    public void Release(ActorBase actor)
    {
    }
}
