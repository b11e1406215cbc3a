using System.Text.Json;
using Akka.Actor;

namespace ActorStream.Entities;

/// <summary>How a registered entity type is created and how its record values are decoded.</summary>
/// <param name="Name">The name pipelines refer to (<c>entity = "Account"</c>).</param>
/// <param name="ValueType">The decoded value type.</param>
/// <param name="Props">Creates the entity actor for an entity id.</param>
/// <param name="Decode">Turns the raw value into <paramref name="ValueType"/>; throws when it cannot.</param>
public sealed record EntityRegistration(string Name, Type ValueType, Func<string, Props> Props, Func<byte[]?, object?> Decode)
{
    /// <summary>
    /// Creates the entity actor for an <see cref="EntityStart"/> (entity id plus per-pipeline settings);
    /// when null, <see cref="Props"/> is used with the entity id. Set by <see cref="EntityRegistry.Register{TEntity}"/>.
    /// </summary>
    public Func<EntityStart, Props>? PropsForStart { get; init; }

    /// <summary>True for <see cref="EventSourcedEntity{TValue, TState, TEvent}"/> types: pipelines check the entity state store when they start.</summary>
    public bool EventSourced { get; init; }

    /// <summary>The entity class, when the registration was made from one (<see cref="EntityRegistry.Register{TEntity}"/>); pipelines check at start that the registry's factory can create it.</summary>
    public Type? EntityType { get; init; }

    /// <summary>The props of the entity actor for <paramref name="start"/>.</summary>
    /// <param name="start">Entity type, id and settings.</param>
    public Props PropsFor(EntityStart start) => PropsForStart?.Invoke(start) ?? Props(start.EntityId);
}

/// <summary>
/// The entity types a node can host, by name. Adding an entity = one class and one registration:
/// <c>registry.Register&lt;AccountEntity&gt;("Account")</c>.
/// </summary>
public sealed class EntityRegistry
{
    private readonly Dictionary<string, EntityRegistration> _entries = new(StringComparer.Ordinal);

    /// <summary>Creates a registry whose entities are made by <paramref name="factory"/> (default: <see cref="EntityFactory.Parameterless"/>).</summary>
    /// <param name="factory">How entity instances are constructed.</param>
    public EntityRegistry(IEntityFactory? factory = null)
    {
        Factory = factory ?? EntityFactory.Parameterless;
    }

    /// <summary>How entities registered with <see cref="Register{TEntity}"/> are constructed.</summary>
    public IEntityFactory Factory { get; }

    /// <summary>All registrations.</summary>
    public IReadOnlyCollection<EntityRegistration> All => _entries.Values;

    /// <summary>
    /// Registers a <see cref="RecordEntity{TValue}"/> or <see cref="EventSourcedEntity{TValue, TState, TEvent}"/>
    /// subclass, created by the registry's <see cref="Factory"/> (a public parameterless constructor by
    /// default; constructor injection with a <see cref="ServiceProviderEntityFactory"/>); values are
    /// decoded from JSON into its TValue.
    /// </summary>
    /// <exception cref="ArgumentException">The name is taken or the type is not a RecordEntity.</exception>
    public EntityRegistry Register<TEntity>(string name)
        where TEntity : ActorBase
    {
        var valueType = FindValueType(typeof(TEntity))
            ?? throw new ArgumentException($"{typeof(TEntity).Name} does not derive from RecordEntity<TValue> or EventSourcedEntity<TValue, TState, TEvent>; use Register(EntityRegistration) for other actors", nameof(TEntity));
        return Register(new EntityRegistration(name, valueType, id => PropsFor(typeof(TEntity), new EntityStart(name, id), Factory), JsonDecoder(valueType))
        {
            PropsForStart = start => PropsFor(typeof(TEntity), start, Factory),
            EventSourced = IsEventSourced(typeof(TEntity)),
            EntityType = typeof(TEntity),
        });
    }

    /// <summary>Props that create <typeparamref name="TEntity"/> for <paramref name="start"/> (the entity gets its start before it starts).</summary>
    /// <param name="start">Entity type, id and settings.</param>
    public static Props PropsFor<TEntity>(EntityStart start)
        where TEntity : ActorBase, new()
    {
        ArgumentNullException.ThrowIfNull(start);
        return PropsFor(typeof(TEntity), start, EntityFactory.Parameterless);
    }

    /// <summary>Props that create <paramref name="entityType"/> through <paramref name="factory"/> for <paramref name="start"/> (the entity gets its start before it starts).</summary>
    /// <param name="entityType">The entity class.</param>
    /// <param name="start">Entity type, id and settings.</param>
    /// <param name="factory">How the instance is constructed.</param>
    public static Props PropsFor(Type entityType, EntityStart start, IEntityFactory factory)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(factory);
        return Akka.Actor.Props.CreateBy(new EntityProducer(entityType, start, factory));
    }

    /// <summary>Registers an entity with explicit props and decoder.</summary>
    /// <exception cref="ArgumentException">The name is empty or already registered.</exception>
    public EntityRegistry Register(EntityRegistration registration)
    {
        if (string.IsNullOrWhiteSpace(registration.Name))
        {
            throw new ArgumentException("An entity needs a name", nameof(registration));
        }

        if (!_entries.TryAdd(registration.Name, registration))
        {
            throw new ArgumentException($"An entity named '{registration.Name}' is already registered", nameof(registration));
        }

        return this;
    }

    /// <summary>Finds a registration; the error lists the registered names.</summary>
    /// <exception cref="KeyNotFoundException">No entity of that name.</exception>
    public EntityRegistration Get(string name) =>
        _entries.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"No entity named '{name}' is registered; registered: {(_entries.Count == 0 ? "(none)" : string.Join(", ", _entries.Keys.Order()))}");

    /// <summary>True if an entity of that name is registered.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>A strict JSON decoder: null, empty or unparsable values throw.</summary>
    public static Func<byte[]?, object?> JsonDecoder(Type valueType) => bytes =>
    {
        if (bytes is null || bytes.Length == 0)
        {
            throw new JsonException("the value is empty");
        }

        return JsonSerializer.Deserialize(bytes, valueType, EntityJson.Options)
            ?? throw new JsonException("the value is JSON null");
    };

    private static bool IsEventSourced(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(EventSourcedEntity<,,>))
            {
                return true;
            }
        }

        return false;
    }

    private static Type? FindValueType(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(RecordEntity<>) || t.GetGenericTypeDefinition() == typeof(EventSourcedEntity<,,>)))
            {
                return t.GetGenericArguments()[0];
            }
        }

        return null;
    }
}
