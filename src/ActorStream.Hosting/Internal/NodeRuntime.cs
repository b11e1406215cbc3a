using Akka;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using ActorStream.Entities;
using ActorStream.Hosting.Internal.Formation;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Hosting.Internal.Http;
using ActorStream.Persistence;
using ActorStream.Pipelines;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// The second half of a node's start, on its running actor system: cluster formation (seed nodes
/// or Cluster Bootstrap), the wait until the node is an Up member, the pipelines with their
/// entities from the service provider, the HTTP endpoints, and the stop (pipelines drain in
/// coordinated shutdown, the HTTP endpoints close last, the embedded pieces once the system ended).
/// </summary>
internal static class NodeRuntime
{
    /// <exception cref="ActorStreamConfigurationException">The node cannot form or join its cluster, bind its endpoints, or start a pipeline for a configuration reason.</exception>
    public static async Task StartAsync(ActorStreamNode node, ActorSystem system, IActorRegistry registry, IServiceProvider? services, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var composition = node.Composition ?? throw new InvalidOperationException("The node was not composed");
        var logger = loggerFactory.CreateLogger("ActorStream.Node");
        node.Attach(system);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            await StartFormationAsync(system, composition.Formation, node.Builder.JoinSelfWithoutSeeds, loggerFactory, logger).ConfigureAwait(false);

            // Pipelines start once this node is an Up member, so shards can be allocated at once.
            var joinTimeout = composition.JoinTimeout;
            try
            {
                await up.Task.WaitAsync(joinTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new NodeConfigException(
                    $"the node did not become an Up cluster member within actorstream.node.join-timeout ({joinTimeout}); {composition.Formation.Describe()}");
            }

            if (services is not null)
            {
                node.Builder.EntityFactory.Use(new ServiceProviderEntityFactory(services));
            }

            ActorStreamExtension.Get(system).Configure(entities: node.Builder.Entities);
            var started = new List<Pipeline>();
            foreach (var (settings, register) in composition.Pipelines)
            {
                logger.LogInformation("Starting pipeline {Pipeline}: {Topics} → entity {Entity} (group {Group}, DLQ {Dlq})",
                    settings.Name, string.Join(",", settings.Topics), settings.Entity, settings.GroupId, settings.DlqTopic);
                var pipeline = Pipeline.Start(system, settings);
                register?.Invoke(registry, pipeline.Region);
                started.Add(pipeline);
            }

            node.Pipelines.SetStarted(started.AsReadOnly());
            LogStops(system, started, composition.StopTimeout, logger);
            WatchPipelines(node, system, started, services, logger);

            if (composition.Http.Enabled)
            {
                node.Http = await NodeHttpServer.StartAsync(node, composition.Http, loggerFactory).ConfigureAwait(false);
                logger.LogInformation("HTTP endpoints at {Url}: /metrics, /health/live, /health/ready, /api/pipelines, /api/lag, /api/alerts", node.Http.Url);

                // Last: the health and metrics endpoints answer while the node drains and leaves.
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "actorstream-http-stop", async () =>
                {
                    if (node.Http is { } http)
                    {
                        await http.DisposeAsync().ConfigureAwait(false);
                    }

                    return Done.Instance;
                });
            }
        }
        catch (Exception ex)
        {
            var error = Unwrap(ex, composition);
            node.Pipelines.SetFailed(error);
            throw error;
        }
    }

    /// <summary>A configuration problem found while starting, as the configuration error it is (naming where the key was set).</summary>
    private static Exception Unwrap(Exception ex, NodeComposition composition)
    {
        for (var e = (Exception?)ex; e is not null; e = e.InnerException)
        {
            if (e is ActorStreamConfigurationException)
            {
                return e is NodeConfigException ? new ActorStreamConfigurationException(composition.Layers.Annotate(e.Message), e) : e;
            }

            if (e is PersistenceConfigurationException or ActorStream.Pipelines.Settings.PipelineConfigurationException or ActorStream.Kafka.Settings.KafkaConfigurationException)
            {
                return new ActorStreamConfigurationException(composition.Layers.Annotate(e.Message), e);
            }
        }

        return ex;
    }

    /// <summary>
    /// Seed-nodes formation: Akka.Cluster joins the configured seed nodes by itself; without any, the
    /// node joins itself (unless turned off). Bootstrap: the management endpoint
    /// (<see cref="ManagementEndpoint"/>) serves this node's contact point and Akka.Management's
    /// Cluster Bootstrap discovers the others; the node with the lowest contact point forms the
    /// cluster once the required number of contact points answered, the rest join it. Coordinated
    /// shutdown stops the endpoint.
    /// </summary>
    private static async Task StartFormationAsync(ActorSystem system, ClusterFormationSettings formation, bool joinSelf, ILoggerFactory loggerFactory, ILogger logger)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (formation.Mode == FormationMode.SeedNodes)
        {
            if (formation.SeedNodes.Count == 0 && joinSelf)
            {
                cluster.Join(cluster.SelfAddress);
            }

            logger.LogInformation("Cluster formation: {Formation}", formation.Describe());
            return;
        }

        if (formation.Discovery == DiscoveryMethod.Config && !formation.ListsItself)
        {
            // Legitimate for a node that joins an existing cluster, but then it can never be the one
            // that forms it; most often this is a hostname that differs from the list (localhost vs 127.0.0.1).
            logger.LogWarning("This node's management endpoint {Host}:{Port} is not among {Key}; it can join a cluster the listed nodes formed, but never form one itself",
                formation.ManagementHostname, formation.ManagementPort, ClusterFormationSettings.ContactPointsKey);
        }

        var endpoint = await ManagementEndpoint.StartAsync(system, formation, loggerFactory).ConfigureAwait(false);
        await ClusterBootstrap.Get(system).Start().ConfigureAwait(false);
        logger.LogInformation("Cluster formation: {Formation}; management endpoint at {Url}", formation.Describe(), endpoint.SelfContactPoint);
    }

    /// <summary>How each pipeline's drain (coordinated shutdown's service-requests-done phase, see <see cref="Pipeline.Start"/>) ended, logged once it did.</summary>
    private static void LogStops(ActorSystem system, IReadOnlyList<Pipeline> pipelines, TimeSpan stopTimeout, ILogger logger)
    {
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "actorstream-pipelines-stopped", async () =>
        {
            foreach (var pipeline in pipelines)
            {
                try
                {
                    await pipeline.StopAsync(stopTimeout).ConfigureAwait(false);
                    if (pipeline.StoppedWithoutDrain)
                    {
                        logger.LogWarning("Pipeline {Pipeline} stopped without draining (node downed); its partitions continue on the other members from their last commit", pipeline.Settings.Name);
                    }
                    else
                    {
                        logger.LogInformation("Pipeline {Pipeline} stopped; processed offsets committed", pipeline.Settings.Name);
                    }
                }
                catch (Exception ex)
                {
                    logger.LogWarning("Pipeline {Pipeline} did not stop cleanly: {Error}", pipeline.Settings.Name, ex.GetBaseException().Message);
                }
            }

            return Done.Instance;
        });
    }

    /// <summary>
    /// A pipeline that fails, or the last one that ends, while the node is not stopping stops the
    /// node (the host application when there is one): a node that processes nothing must not look healthy.
    /// </summary>
    private static void WatchPipelines(ActorStreamNode node, ActorSystem system, IReadOnlyList<Pipeline> pipelines, IServiceProvider? services, ILogger logger)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        foreach (var pipeline in pipelines)
        {
            pipeline.Completion.ContinueWith(completion =>
            {
                if (shutdown.ShutdownReason is not null)
                {
                    return;
                }

                if (completion.IsFaulted)
                {
                    var error = completion.Exception!.GetBaseException();
                    node.Failure ??= error;
                    logger.LogError("Pipeline {Pipeline} failed: {Error}; stopping the node", pipeline.Settings.Name, error.Message);
                }
                else if (pipelines.All(p => p.Completion.IsCompleted))
                {
                    logger.LogInformation("No pipeline runs any more (the last, {Pipeline}, was stopped); stopping the node", pipeline.Settings.Name);
                }
                else
                {
                    return;
                }

                if (services?.GetService(typeof(IHostApplicationLifetime)) is IHostApplicationLifetime lifetime)
                {
                    lifetime.StopApplication();
                }
                else
                {
                    shutdown.Run(CoordinatedShutdown.UnknownReason.Instance);
                }
            }, TaskScheduler.Default);
        }
    }
}
