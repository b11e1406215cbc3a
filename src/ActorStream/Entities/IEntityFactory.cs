using Akka.Actor;

namespace ActorStream.Entities;

/// <summary>
/// Makes entity actor instances: the one seam between the record path (which asks a registration
/// for the props of an entity) and how entity objects are constructed — with a parameterless
/// constructor (<see cref="EntityFactory.Parameterless"/>) or from a service provider
/// (<see cref="ServiceProviderEntityFactory"/>). Called by Akka when the actor (re)starts.
/// </summary>
public interface IEntityFactory
{
    /// <summary>Creates an instance of <paramref name="entityType"/> (inside the actor's construction).</summary>
    /// <param name="entityType">The registered entity class.</param>
    ActorBase Create(Type entityType);

    /// <summary>Called once the instance has stopped: releases what <see cref="Create"/> acquired for it.</summary>
    /// <param name="entity">An instance made by <see cref="Create"/>.</param>
    void Release(ActorBase entity);

    /// <summary>Null when <paramref name="entityType"/> can be created; otherwise why not (checked when a pipeline starts).</summary>
    /// <param name="entityType">The registered entity class.</param>
    string? CannotCreate(Type entityType);
}

/// <summary>The built-in entity factories.</summary>
public static class EntityFactory
{
    /// <summary>Creates entities with their public parameterless constructor (the default of <see cref="EntityRegistry"/>).</summary>
    public static IEntityFactory Parameterless { get; } = new ParameterlessEntityFactory();

    private sealed class ParameterlessEntityFactory : IEntityFactory
    {
        public ActorBase Create(Type entityType) => (ActorBase)Activator.CreateInstance(entityType)!;

        public void Release(ActorBase entity)
        {
        }

        public string? CannotCreate(Type entityType) =>
            entityType.GetConstructor(Type.EmptyTypes) is null
                ? $"entity type {entityType.Name} has no public parameterless constructor; an entity with constructor parameters is created from a service provider (ActorStream.Hosting's AddEntity/AddPipeline, or an EntityRegistry with a ServiceProviderEntityFactory)"
                : null;
    }
}
