using System.Collections.Concurrent;
using System.Reflection;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;

namespace ActorStream.Entities;

/// <summary>
/// Creates entities through a service provider (constructor injection, as
/// <see cref="ActivatorUtilities"/> does). Each entity actor instance gets its own
/// <see cref="IServiceScope"/>: scoped services live as long as that instance — from the first
/// record of the key after a start, a passivation or a failure until the instance stops (idle
/// passivation, a failure before its retry, a rebalance, node shutdown) — and are disposed then.
/// Singletons are shared; transients are new per resolution. For a scope per record, inject
/// <see cref="IServiceScopeFactory"/> and create one in the handler.
/// </summary>
public sealed class ServiceProviderEntityFactory : IEntityFactory
{
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<ActorBase, IServiceScope> _scopes = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the factory.</summary>
    /// <param name="services">The application's (root) service provider.</param>
    public ServiceProviderEntityFactory(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
    }

    /// <inheritdoc />
    public ActorBase Create(Type entityType)
    {
        var scope = _services.CreateScope();
        try
        {
            var entity = (ActorBase)ActivatorUtilities.CreateInstance(scope.ServiceProvider, entityType);
            _scopes[entity] = scope;
            return entity;
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Release(ActorBase entity)
    {
        if (_scopes.TryRemove(entity, out var scope))
        {
            scope.Dispose();
        }
    }

    /// <inheritdoc />
    public string? CannotCreate(Type entityType)
    {
        var constructors = entityType.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
        if (constructors.Length == 0)
        {
            return $"entity type {entityType.Name} has no public constructor";
        }

        if (_services.GetService<IServiceProviderIsService>() is not { } isService)
        {
            return null;
        }

        // ActivatorUtilities takes the constructor with the most parameters it can satisfy.
        string? firstProblem = null;
        foreach (var constructor in constructors.OrderByDescending(c => c.GetParameters().Length))
        {
            var missing = constructor.GetParameters()
                .Where(p => !p.HasDefaultValue && !isService.IsService(p.ParameterType))
                .ToList();
            if (missing.Count == 0)
            {
                return null;
            }

            firstProblem ??= $"entity type {entityType.Name} cannot be created from the service provider: constructor parameter(s) {string.Join(", ", missing.Select(p => $"'{p.Name}' ({p.ParameterType.Name})"))} are not registered services; register them (e.g. services.AddSingleton<{missing[0].ParameterType.Name}, …>())";
        }

        return firstProblem;
    }
}
