using System.Collections.Concurrent;
using System.Text.Json;
using Akka.Actor;
using ActorStream.Entities;

namespace ActorStream.TestKit.Entities;

/// <summary>What an entity did with one record in an <see cref="EntityProbe{TEntity}"/>.</summary>
/// <param name="Processed">True if the entity acknowledged the record.</param>
/// <param name="Error">The exception the entity failed with, if it failed.</param>
/// <param name="Outputs">Records the entity emitted while handling this record.</param>
public sealed record EntityOutcome(bool Processed, Exception? Error, IReadOnlyList<OutputRecord> Outputs);

/// <summary>
/// Unit-tests one entity without Kafka: sends it records exactly as a pipeline would
/// (<see cref="ProcessRecord"/> with increasing offsets) and captures its acknowledgement, failure
/// and emitted outputs. The entity instance lives across sends (state is kept) until it fails,
/// after which the next send gets a fresh instance — as the pipeline's retry does. Event-sourced
/// entities persist to the system's <c>actorstream.persistence</c> store (give the test system its
/// own SQLite file, e.g. <c>actorstream.persistence.sqlite.path</c> in a temp directory). The entity
/// is created as a pipeline creates it: through an <see cref="EntityRegistry"/> — from
/// <c>services</c> when given (constructor injection, a DI scope per entity instance), else with its
/// parameterless constructor.
/// </summary>
/// <typeparam name="TEntity">The entity actor type.</typeparam>
public sealed class EntityProbe<TEntity>
    where TEntity : ActorBase
{
    private readonly ActorSystem _system;
    private readonly RecordingEmitter _emitter = new();
    private readonly IActorRef _parent;
    private long _offset;

    /// <summary>Creates the probe; it installs a recording emitter on <paramref name="system"/>.</summary>
    /// <param name="system">A test actor system (e.g. the TestKit's <c>Sys</c>).</param>
    /// <param name="entityId">The entity id (record key) the entity is created for.</param>
    /// <param name="topic">The topic the records pretend to come from.</param>
    /// <param name="partition">The partition they pretend to come from.</param>
    /// <param name="entityType">The entity type name (part of an event-sourced entity's persistence id); default: the class name.</param>
    /// <param name="snapshotEvery">Snapshot interval of event-sourced entities (0 = never).</param>
    /// <param name="services">Creates the entity with its constructor dependencies (a <see cref="ServiceProviderEntityFactory"/>); null: its parameterless constructor.</param>
    /// <exception cref="ArgumentException">The entity cannot be created that way (the message says which dependency is missing).</exception>
    public EntityProbe(ActorSystem system, string entityId, string topic = "test-topic", int partition = 0, string? entityType = null, int snapshotEvery = 1000, IServiceProvider? services = null)
    {
        _system = system;
        EntityId = entityId;
        Topic = topic;
        Partition = partition;
        var name = entityType ?? typeof(TEntity).Name;
        var registry = new EntityRegistry(services is null ? EntityFactory.Parameterless : new ServiceProviderEntityFactory(services)).Register<TEntity>(name);
        if (registry.Factory.CannotCreate(typeof(TEntity)) is { } problem)
        {
            throw new ArgumentException(problem, nameof(services));
        }

        ActorStreamExtension.Get(system).Configure(emitter: _emitter);
        var props = registry.Get(name).PropsFor(new EntityStart(name, entityId, snapshotEvery));
        _parent = system.ActorOf(Props.Create(() => new ProbeParent(props)));
    }

    /// <summary>The entity id.</summary>
    public string EntityId { get; }

    /// <summary>The source topic of the records sent.</summary>
    public string Topic { get; }

    /// <summary>The source partition of the records sent.</summary>
    public int Partition { get; }

    /// <summary>Every record emitted so far, in order.</summary>
    public IReadOnlyList<OutputRecord> Emitted => _emitter.All;

    /// <summary>Sends a value (given as the already decoded object), with the next offset.</summary>
    public Task<EntityOutcome> SendAsync(object value, int attempt = 1, TimeSpan? timeout = null) =>
        SendRecordAsync(value, JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), EntityJson.Options), attempt, timeout);

    /// <summary>Sends a value again with an explicit offset (e.g. to test redelivery handling).</summary>
    public Task<EntityOutcome> SendAtOffsetAsync(object value, long offset, int attempt = 1, TimeSpan? timeout = null)
    {
        _offset = offset;
        return SendRecordAsync(value, JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), EntityJson.Options), attempt, timeout);
    }

    private async Task<EntityOutcome> SendRecordAsync(object value, byte[] bytes, int attempt, TimeSpan? timeout)
    {
        var record = new KafkaRecord(Topic, Partition, _offset++, EntityId, bytes, [], DateTimeOffset.UtcNow);
        var before = _emitter.All.Count;
        var reply = await _parent.Ask<object>(new ProcessRecord(EntityId, record, value, attempt), timeout ?? TimeSpan.FromSeconds(10));
        var outputs = _emitter.All.Skip(before).ToList();
        return reply switch
        {
            RecordProcessed => new EntityOutcome(true, null, outputs),
            ProbeFailure failure => new EntityOutcome(false, failure.Cause, outputs),
            _ => throw new InvalidOperationException($"Unexpected reply {reply}"),
        };
    }

    /// <summary>Not Status.Failure: Ask would throw it instead of returning it.</summary>
    private sealed record ProbeFailure(Exception Cause);

    private sealed class RecordingEmitter : IRecordEmitter
    {
        private readonly ConcurrentQueue<OutputRecord> _all = new();

        public IReadOnlyList<OutputRecord> All => _all.ToList();

        public Task EmitAsync(IReadOnlyList<OutputRecord> records, CancellationToken cancellationToken = default)
        {
            foreach (var r in records)
            {
                _all.Enqueue(r);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Stands in for the entity host: forwards records, turns a failure into a reply.</summary>
    private sealed class ProbeParent : ReceiveActor
    {
        private readonly Props _props;
        private IActorRef? _child;
        private IActorRef? _waiting;
        private Exception? _error;

        public ProbeParent(Props props)
        {
            _props = props;
            Receive<ProcessRecord>(m =>
            {
                _waiting = Sender;
                if (_child is null)
                {
                    _child = Context.ActorOf(_props);
                    Context.Watch(_child);
                }

                _child.Tell(m);
            });
            Receive<RecordProcessed>(p =>
            {
                _waiting?.Tell(p);
                _waiting = null;
            });
            Receive<Terminated>(_ =>
            {
                _child = null;
                _waiting?.Tell(new ProbeFailure(_error ?? new InvalidOperationException("the entity stopped")));
                _waiting = null;
            });
        }

        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
        {
            _error = ex;
            return Directive.Stop;
        });
    }
}
