using Akka.Actor;
using ActorStream.Entities;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// The entity factory of a builder's registry: entities are declared before the host's service
/// provider exists, and created through it (a <see cref="ServiceProviderEntityFactory"/>) once the
/// node starts; parameterless until then (tests that use the registry without a host).
/// </summary>
internal sealed class DeferredEntityFactory : IEntityFactory
{
    private volatile IEntityFactory _target = Entities.EntityFactory.Parameterless;

    public void Use(IEntityFactory factory) => _target = factory;

    public ActorBase Create(Type entityType) => _target.Create(entityType);

    public void Release(ActorBase entity) => _target.Release(entity);

    public string? CannotCreate(Type entityType) => _target.CannotCreate(entityType);
}
