using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Sharding;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorStream.Internal.DeadLetters;
using ActorStream.Internal.Hosting;
using ActorStream.Internal.Streams;
using ActorStream.Kafka.Dsl;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Pipelines;

/// <summary>
/// A running pipeline: the topic's partitions stream into the sharded entities of the pipeline's
/// entity type (shard = partition, entity = key); offsets are committed once every record up to them
/// was processed or dead-lettered. Start with <see cref="Start"/>; stop with <see cref="StopAsync"/>
/// (stop intake, drain in flight, commit, close).
/// </summary>
public sealed class Pipeline
{
    private readonly IActorRef _deadLetters;
    private readonly object _stopGate = new();
    private readonly IntakeGate _intake;
    private readonly Monitoring.PipelineMonitoring _monitoring;
    private Task? _stopping;

    private Pipeline(PipelineSettings settings, IActorRef region, IActorRef deadLetters, IConsumerControl control, Task<Done> completion,
        IntakeGate intake, Monitoring.PipelineMonitoring monitoring)
    {
        _intake = intake;
        _monitoring = monitoring;
        Settings = settings;
        Region = region;
        _deadLetters = deadLetters;
        Control = control;
        Completion = completion;
    }

    /// <summary>The pipeline's settings.</summary>
    public PipelineSettings Settings { get; }

    /// <summary>The shard region of the pipeline's entities.</summary>
    public IActorRef Region { get; }

    /// <summary>The consumer's control handle.</summary>
    public IConsumerControl Control { get; }

    /// <summary>Completes when the pipeline's stream ended; faults with the reason if it failed (e.g. <see cref="PipelineHaltedException"/>).</summary>
    public Task<Done> Completion { get; }

    /// <summary>
    /// Starts the pipeline on <paramref name="system"/>, which must be a cluster member (a single node
    /// joins itself). The entity type comes from <see cref="ActorStreamExtension.Entities"/>.
    /// </summary>
    /// <param name="system">The node's actor system.</param>
    /// <param name="settings">The pipeline.</param>
    /// <param name="consumerSettings">
    /// Consumer settings; default: <c>actorstream.kafka.consumer</c> of the system. Its group id is
    /// replaced by the pipeline's, its offset-out-of-range policy by the pipeline's
    /// (<see cref="PipelineSettings.EffectiveOffsetOutOfRange"/>).
    /// </param>
    /// <param name="committerSettings">Committer settings; default: <c>actorstream.kafka.committer</c>.</param>
    /// <exception cref="KeyNotFoundException">The pipeline's entity is not registered.</exception>
    /// <exception cref="PipelineConfigurationException">The entity cannot be created by the registry's factory (e.g. a constructor dependency is not registered).</exception>
    /// <exception cref="KafkaConfigurationException">Kafka settings are incomplete.</exception>
    /// <exception cref="Persistence.PersistenceConfigurationException">The entity is event-sourced and its state store is misconfigured.</exception>
    public static Pipeline Start(
        ActorSystem system,
        PipelineSettings settings,
        ConsumerSettings<string?, byte[]?>? consumerSettings = null,
        CommitterSettings? committerSettings = null)
    {
        var entities = ActorStreamExtension.Get(system).Entities;
        var entity = entities.Get(settings.Entity);
        if (entity.EntityType is { } entityType && entities.Factory.CannotCreate(entityType) is { } problem)
        {
            // Refuse to start rather than fail (and dead-letter) every record.
            throw new PipelineConfigurationException(settings.Name, "entity", problem);
        }

        if (entity.EventSourced)
        {
            // Fail the start on a misconfigured store, instead of failing (and dead-lettering) every record.
            Persistence.ActorStreamPersistence.Get(system);
        }

        var consumer = consumerSettings ?? ConsumerSettings<string?, byte[]?>.Create(system);

        // Every pipeline has its own consumer, so each applies its own offset-out-of-range policy.
        consumer = consumer.WithGroupId(settings.GroupId).WithOffsetOutOfRange(settings.EffectiveOffsetOutOfRange(consumer.OffsetOutOfRange));
        consumer.Validate(requireGroupId: true);
        var producer = ProducerSettings<byte[], byte[]>.Create(system);
        producer.Validate();

        if (settings.EmitFormat == EmitFormat.JsonSchema)
        {
            // Refuse to start rather than fail (and dead-letter) every record that emits.
            Internal.Schemas.SchemaRegistryClients.RequireForEmits(system, settings);
        }

        var schemas = settings.ValueFormat == ValueFormat.Json
            ? null
            : new Internal.Schemas.SchemaChecker(Internal.Schemas.SchemaRegistryClients.Create(system, settings), settings.ValueFormat, settings.Name,
                Logging.GetLogger(system, "ActorStream.Pipeline"));

        var deadLetters = system.ActorOf(
            DeadLetterWriter.Props(settings.DlqTopic, settings.GroupId,
                producer.CreateRenewableProducer(error => Logging.GetLogger(system, "ActorStream.DeadLetters").Warning(
                    "Pipeline {0}: the DLQ producer hit a fatal error ({1}: {2}); it is replaced, and dead letters it did not deliver are written again", settings.Name, error.Code, error.Reason),
                    closeTimeout: TimeSpan.FromSeconds(10)),
                producer.MaxMessageBytes, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)),
            $"dlq-{Uri.EscapeDataString(settings.Name)}");
        // Shard = partition, placed on the node that consumes the partition (external allocation,
        // updated from the consumer's assignments), so records are handled where they are read.
        var typeName = $"pipeline-{settings.Name}";
        var region = ClusterSharding.Get(system).Start(
            typeName: typeName,
            entityPropsFactory: id => EntityHost.Props(id, settings, entity, deadLetters),
            settings: ShardingSettings(system),
            messageExtractor: new ShardEnvelopeExtractor(),
            allocationStrategy: new Akka.Cluster.Sharding.External.ExternalShardAllocationStrategy(system, typeName),
            handOffStopMessage: PoisonPill.Instance);
        var drains = new PartitionDrains(new Internal.Sharding.PartitionShardPlacement(system, typeName, consumer.PartitionEventHandler));
        consumer = consumer.WithPartitionEventHandler(drains);

        // Before the consumer starts, so its first assignment is seen by the monitoring.
        var monitoring = Monitoring.PipelineMonitoring.Get(system);
        monitoring.Watch(settings);
        var intake = new IntakeGate();
        var committer = committerSettings ?? CommitterSettings.Create(system);
        var (control, completion) = KafkaConsumer.CommittablePartitionedSource(consumer, Subscriptions.Topics(settings.Topics.ToArray()))
            .Select(partition => partition.Records.Via(new PartitionDispatchStage(settings, entity, region, deadLetters, schemas, partition.Partition, drains, intake)))
            .Via(Flow.Create<Source<ICommittable, NotUsed>>().MergeMany(10_000, s => s))
            .ToMaterialized(Committer.Sink(committer), Keep.Both)
            .Run(system.Materializer());
        var pipeline = new Pipeline(settings, region, deadLetters, control, completion, intake, monitoring);
        if (schemas is not null)
        {
            completion.ContinueWith(_ => schemas.Dispose(), TaskScheduler.Default);
        }


        // However the node goes down (SIGTERM through the CLR hook, a cluster leave, downing), the
        // pipeline drains and commits before sharding hands its regions over.
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, $"drain-pipeline-{settings.Name}", async () =>
        {
            var budget = shutdown.Timeout(CoordinatedShutdown.PhaseServiceRequestsDone) - TimeSpan.FromMilliseconds(500);
            if (shutdown.ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
            {
                // Downed (e.g. by the split brain resolver after a pause): the other members already
                // own this node's partitions and entities. Draining would process records beside the
                // new owners and wait for acknowledgements from regions that are gone; stop at once
                // and commit nothing — the new owners resume from the last commit.
                system.Log.Warning("Pipeline {0}: this node was downed; stopping without draining (its partitions and entities moved to other members)", settings.Name);
                await pipeline.AbortAsync().ConfigureAwait(false);
                return Done.Instance;
            }

            try
            {
                await pipeline.StopAsync(budget > TimeSpan.Zero ? budget : TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                system.Log.Warning("Pipeline {0} did not drain cleanly during shutdown: {1}", settings.Name, ex.GetBaseException().Message);
            }

            return Done.Instance;
        });
        return pipeline;
    }

    /// <summary>
    /// Sharding settings of pipeline regions: entity hosts passivate themselves when idle
    /// (passivate-after, never while a record is in flight), so sharding's own idle passivation — which
    /// could stop a host in the middle of a record — is off; remember-entities stays off (a host comes
    /// back with its key's next record).
    /// </summary>
    internal static ClusterShardingSettings ShardingSettings(ActorSystem system)
    {
        ClusterSharding.Get(system);
        var handOff = system.Settings.Config.WithFallback(PipelineDefaults.ReferenceConfig).GetTimeSpan("actorstream.sharding.handoff-timeout", null, allowInfinite: false);
        if (handOff <= TimeSpan.Zero)
        {
            throw new Akka.Configuration.ConfigurationException($"actorstream.sharding.handoff-timeout: must be a duration > 0, got '{handOff}'");
        }

        return ClusterShardingSettings.Create(
            Akka.Configuration.ConfigurationFactory.ParseString($"passivate-idle-entity-after = off\nremember-entities = off\nhandoff-timeout = {(long)handOff.TotalMilliseconds}ms")
                .WithFallback(system.Settings.Config.GetConfig("akka.cluster.sharding")),
            system.Settings.Config.GetConfig("akka.cluster.singleton"));
    }

    /// <summary>
    /// True while the pipeline is paused by <see cref="Pause"/> on this node.
    /// </summary>
    public bool IsPaused => _intake.IsPaused;

    /// <summary>
    /// Pauses the pipeline on this node: its partition streams stop taking new records from Kafka
    /// (streams of partitions assigned later, after a rebalance, start paused). Records already taken
    /// finish and are acknowledged and committed as usual; nothing is dropped or redelivered. The
    /// consumer stays in its group — it keeps polling while the connector, its buffers full, pauses
    /// fetching — so pausing causes no rebalance. While paused, the monitoring does not raise
    /// stalled-partition alerts for this node's partitions nor lag-growing for the pipeline (the
    /// lag-above alert still fires, marked as paused by the operator). Pausing only affects this
    /// node: partitions that move to another node are consumed there. Idempotent.
    /// </summary>
    /// <returns>True when the pipeline was running and is now paused; false when it already was paused.</returns>
    public bool Pause()
    {
        var changed = _intake.Pause();
        _monitoring.SetPaused(Settings.Name, true);
        return changed;
    }

    /// <summary>
    /// Resumes a paused pipeline: every partition stream continues where it stopped (the record
    /// after the last one it took). Idempotent.
    /// </summary>
    /// <returns>True when the pipeline was paused and now runs again; false when it was not paused.</returns>
    public bool Resume()
    {
        _monitoring.SetPaused(Settings.Name, false);
        return _intake.Resume();
    }

    /// <summary>
    /// Graceful stop: no new records, in-flight records finish (bounded by
    /// <paramref name="timeout"/>), their offsets are committed, the consumer closes. Idempotent: a
    /// second call (e.g. the node's and coordinated shutdown's) returns the stop already under way.
    /// </summary>
    public Task StopAsync(TimeSpan timeout)
    {
        lock (_stopGate)
        {
            return _stopping ??= StopCoreAsync(timeout);
        }
    }

    /// <summary>
    /// True when the pipeline was stopped without draining because the cluster downed this node: its
    /// in-flight records were abandoned and nothing more was committed (the new owners redo them).
    /// </summary>
    public bool StoppedWithoutDrain { get; private set; }

    /// <summary>Immediate stop: intake ends, in-flight records are abandoned, nothing more is committed.</summary>
    internal Task AbortAsync()
    {
        lock (_stopGate)
        {
            if (_stopping is null)
            {
                StoppedWithoutDrain = true;
                _stopping = AbortCoreAsync();
            }

            return _stopping;
        }
    }

    private async Task AbortCoreAsync()
    {
        try
        {
            await Control.Shutdown().ConfigureAwait(false);
        }
        finally
        {
            _deadLetters.Tell(PoisonPill.Instance);
        }
    }

    private async Task StopCoreAsync(TimeSpan timeout)
    {
        try
        {
            await Control.DrainAndShutdown(Completion).WaitAsync(timeout).ConfigureAwait(false);
        }
        finally
        {
            _deadLetters.Tell(PoisonPill.Instance);
        }
    }
}
