using System.Net;
using ActorStream.Hosting.Internal.Configuration;
using Akka.Actor;
using Akka.Cluster;
using Akka;
using Akka.Management.Dsl;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;

namespace ActorStream.Hosting.Internal.Formation;

/// <summary>
/// The node's management endpoint for Cluster Bootstrap: <c>GET /bootstrap/seed-nodes</c> on
/// <c>actorstream.cluster.management.hostname:port</c>, the route peers probe to learn this node's
/// remoting address and the members it knows.
/// </summary>
/// <remarks>
/// Why not <c>AkkaManagement.Start()</c>: Akka.Management 1.5.73 serves its routes through
/// Akka.Http.Shim on Ceen.Httpd 0.9.9, and the package registry here serves only Ceen.Httpd
/// 0.9.10, whose <c>HttpServer.ListenAsync</c> signature changed — <c>Start()</c> fails with a
/// MissingMethodException. So the one route bootstrap needs is served with Kestrel (already in the
/// host), with the same member filter and the same JSON, built from Akka.Management's own protocol
/// types and serializer: nodes running the stock Akka.Management endpoint interoperate. Discovery,
/// probing and the join decision stay Akka.Management's Cluster Bootstrap.
/// </remarks>
internal sealed class ManagementEndpoint : IAsyncDisposable
{
    /// <summary>Akka.Management's <c>ContactPointSettings.MaxSeedNodesToExpose</c>.</summary>
    private const int MaxSeedNodesToExpose = 5;

    private readonly WebApplication _app;
    private int _stopped;

    private ManagementEndpoint(WebApplication app, Uri selfContactPoint)
    {
        _app = app;
        SelfContactPoint = selfContactPoint;
    }

    /// <summary>The URI peers reach this endpoint at (advertised hostname and configured port).</summary>
    public Uri SelfContactPoint { get; }

    /// <summary>
    /// Binds the endpoint, hands Cluster Bootstrap its self contact point, and stops the endpoint in
    /// coordinated shutdown's before-cluster-shutdown phase (where Akka.Management stops its own).
    /// </summary>
    /// <exception cref="NodeConfigException">The address cannot be bound (the message names the keys).</exception>
    public static async Task<ManagementEndpoint> StartAsync(ActorSystem system, ClusterFormationSettings formation, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        var builder = InnerWebApp.CreateBuilder(loggerFactory);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(formation.ManagementHostname.Trim('[', ']'), out var ip) ? [ip] : await Dns.GetHostAddressesAsync(formation.ManagementHostname);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new NodeConfigException($"{ClusterFormationSettings.ManagementHostnameKey}: cannot resolve '{formation.ManagementHostname}' ({ex.Message})");
        }

        builder.WebHost.ConfigureKestrel(options =>
        {
            // Bind where the endpoint is advertised, as Akka.Management does (its bind-hostname defaults to the hostname).
            foreach (var address in addresses)
            {
                options.Listen(address, formation.ManagementPort);
            }

            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = 1024;
        });
        var app = builder.Build();
        app.MapGet("/bootstrap/seed-nodes", () => SeedNodes(system));
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            throw new NodeConfigException(
                $"cannot listen on {formation.ManagementHostname}:{formation.ManagementPort} for the management endpoint ({ex.Message}); set {ClusterFormationSettings.ManagementHostnameKey} / {ClusterFormationSettings.ManagementPortKey} ({NodeConfig.ManagementHostnameVariable} / {NodeConfig.ManagementPortVariable})");
        }

        var host = formation.ManagementHostname.Contains(':', StringComparison.Ordinal) && !formation.ManagementHostname.StartsWith('[')
            ? $"[{formation.ManagementHostname}]"
            : formation.ManagementHostname;
        var self = new Uri($"http://{host}:{formation.ManagementPort}/");

        // Cluster Bootstrap learns its own contact point when its routes are created (Akka.Management
        // does this while binding); it recognises itself among the discovered endpoints by it.
        _ = ClusterBootstrap.Get(system).Routes(ManagementRouteProviderSettings.Create(self, readOnly: true));

        var endpoint = new ManagementEndpoint(app, self);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "actorstream-management-endpoint-stop", async () =>
        {
            await endpoint.DisposeAsync();
            return Done.Instance;
        });
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// As Akka.Management's <c>HttpClusterBootstrapRoutes</c>: this node's address and the reachable
    /// Up/WeaklyUp/Joining members, at most 5, shuffled.
    /// </summary>
    private static IResult SeedNodes(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        var self = cluster.SelfMember.UniqueAddress.Address;

        // A node that has not joined yet reads as Removed: it answers with its address and no seed
        // nodes, which is how peers count it as a confirmed contact point before any cluster exists.
        if (cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
        {
            return Results.Content(JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self, [])), "application/json");
        }

        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(MaxSeedNodesToExpose)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToArray();
        Random.Shared.Shuffle(members);
        var body = JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self, [.. members]));
        return Results.Content(body, "application/json");
    }
}
