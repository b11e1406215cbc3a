using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Monitoring;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ActorStream.Hosting.Internal.Http;

/// <summary>
/// The node's HTTP side: <c>/metrics</c> (Prometheus, every ActorStream instrument),
/// <c>/health/live</c>, <c>/health/ready</c>, and the JSON API (<c>/api/pipelines</c>,
/// <c>/api/lag</c>, <c>/api/alerts</c>); admin actions under <c>/api/admin/</c> need the admin
/// token as a bearer token. Request bodies are capped; errors are JSON without internals.
/// </summary>
internal sealed class NodeHttpServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
        WriteIndented = false,
    };

    private readonly WebApplication _app;
    private readonly StoreHealth _store;
    private int _disposed;

    private NodeHttpServer(WebApplication app, string url, StoreHealth store)
    {
        _app = app;
        Url = url;
        _store = store;
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:9190</c>.</summary>
    public string Url { get; }

    /// <exception cref="NodeConfigException">The address cannot be bound (the message names the key).</exception>
    public static async Task<NodeHttpServer> StartAsync(ActorStreamNode node, HttpSettings settings, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("ActorStream.Http");
        var builder = InnerWebApp.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(settings.Host, settings.Port);
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = settings.MaxRequestBytes;
        });
        var telemetry = builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter("ActorStream", "ActorStream.Kafka").AddPrometheusExporter();
            if (settings.OtlpEndpoint is { } otlp)
            {
                metrics.AddOtlpExporter(o => o.Endpoint = otlp);
            }
        });
        if (settings.OtlpEndpoint is { } traceEndpoint)
        {
            // One span per record (activity source "ActorStream"), exported where the metrics go.
            telemetry.WithTracing(tracing => tracing.AddSource(Metrics.PipelineTracing.SourceName).AddOtlpExporter(o => o.Endpoint = traceEndpoint));
        }

        var app = builder.Build();
        var store = new StoreHealth(ActorStream.Persistence.ActorStreamPersistence.Get(node.System));
        Map(app, node, settings, store, logger);
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            await store.DisposeAsync();
            await app.DisposeAsync();
            throw new NodeConfigException($"actorstream.http: cannot listen on {settings.Host}:{settings.Port} ({ex.Message}); set actorstream.http.port or {HttpSettings.PortVariable} (0 = any free port), or actorstream.http.enabled = off");
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal);
        if (!IPAddress.IsLoopback(settings.Host) && settings.AdminToken is null)
        {
            logger.LogWarning("HTTP endpoints listen on {Host} without an admin token: admin actions are disabled; set {Variable}", settings.Host, HttpSettings.AdminTokenVariable);
        }

        return new NodeHttpServer(app, url, store);
    }

    /// <summary>Stops the endpoints; idempotent (coordinated shutdown and the node's release both call it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
    }

    private static void Map(WebApplication app, ActorStreamNode node, HttpSettings settings, StoreHealth store, ILogger logger)
    {
        var monitoring = PipelineMonitoring.Get(node.System);
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/health/live", () => Results.Json(new { status = "live" }, Json));
        app.MapGet("/health/ready", () =>
        {
            var problems = Readiness(node, monitoring);
            if (store.Problem is { } storeProblem)
            {
                problems.Add(storeProblem);
            }

            return Results.Json(new { status = problems.Count == 0 ? "ready" : "not-ready", problems }, Json,
                statusCode: problems.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/api/pipelines", () => Results.Json(node.RunningPipelines.Select(p => new
        {
            name = p.Settings.Name,
            topics = p.Settings.Topics,
            group = p.Settings.GroupId,
            entity = p.Settings.Entity,
            dlq_topic = p.Settings.DlqTopic,
            state = p.Completion.IsFaulted ? "failed" : p.Completion.IsCompleted ? "stopped" : "running",
            paused = p.IsPaused,
            assigned_partitions = monitoring.AssignedPartitions(p.Settings.GroupId).OrderBy(x => x.Topic).ThenBy(x => x.Partition).Select(x => new { topic = x.Topic, partition = x.Partition }),
        }), Json));
        app.MapGet("/api/lag", () => Results.Json(monitoring.Lag.Select(l => new
        {
            pipeline = l.Pipeline,
            group = l.GroupId,
            at = l.At,
            total_lag = l.TotalLag,
            paused = monitoring.IsPaused(l.Pipeline),
            status = l.Status,
            dead_letters_per_minute = l.DeadLettersPerMinute,
            dead_letters = l.DeadLetters,
            partitions = l.Partitions.Select(p => new { topic = p.Topic, partition = p.Partition, committed = p.Committed, high_watermark = p.HighWatermark, lag = p.Lag, status = p.Status, committed_unchanged_s = Math.Round(p.CommittedUnchangedFor.TotalSeconds, 1) }),
        }), Json));
        app.MapGet("/api/alerts", () => Results.Json(new { firing = monitoring.ActiveAlerts, resolved = monitoring.RecentlyResolved }, Json));

        var admin = app.MapGroup("/api/admin").AddEndpointFilter(async (context, next) =>
            Authorized(context.HttpContext, settings) is { } denied ? denied : await next(context));
        admin.MapPost("/pipelines/{name}/stop", async (string name) =>
        {
            var pipeline = node.RunningPipelines.FirstOrDefault(p => p.Settings.Name == name);
            if (pipeline is null)
            {
                return UnknownPipeline(node, name);
            }

            await pipeline.StopAsync(TimeSpan.FromSeconds(30));
            return Results.Json(new { pipeline = name, state = "stopped", committed = true }, Json);
        });

        // Pause / resume intake on this node. Idempotent: the answer is the state either way, and
        // `changed` says whether this call changed it.
        admin.MapPost("/pipelines/{name}/pause", (string name, HttpContext context) => PauseOrResume(node, name, pause: true, context, logger));
        admin.MapPost("/pipelines/{name}/resume", (string name, HttpContext context) => PauseOrResume(node, name, pause: false, context, logger));

        var dlq = new DeadLetterSummary(node, monitoring);
        app.MapGet("/api/dlq", (int? limit) => limit is < 1 or > 500
            ? Error(StatusCodes.Status400BadRequest, "limit: must be 1 to 500")
            : Results.Json(dlq.Read(limit ?? 20), Json));
        app.MapGet("/api/cluster", async () => Results.Json(await ClusterView.ReadAsync(node, monitoring), Json));

        // The dashboard: static files embedded in the library, no build step.
        MapAsset(app, "/", "index.html", "text/html; charset=utf-8");
        MapAsset(app, "/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8");
        MapAsset(app, "/dashboard.css", "dashboard.css", "text/css; charset=utf-8");

        app.MapFallback((HttpContext context) => Error(StatusCodes.Status404NotFound,
            $"no endpoint {context.Request.Method} {context.Request.Path}; see /metrics, /health/live, /health/ready, /api/pipelines, /api/lag, /api/alerts"));
    }

    private static IResult UnknownPipeline(ActorStreamNode node, string name) =>
        Error(StatusCodes.Status404NotFound, $"no pipeline named '{name}'; pipelines: {string.Join(", ", node.RunningPipelines.Select(p => p.Settings.Name))}");

    private static IResult PauseOrResume(ActorStreamNode node, string name, bool pause, HttpContext context, ILogger logger)
    {
        var pipeline = node.RunningPipelines.FirstOrDefault(p => p.Settings.Name == name);
        if (pipeline is null)
        {
            return UnknownPipeline(node, name);
        }

        if (pipeline.Completion.IsCompleted)
        {
            return Error(StatusCodes.Status409Conflict, $"pipeline '{name}' is {(pipeline.Completion.IsFaulted ? "failed" : "stopped")}; it cannot be {(pause ? "paused" : "resumed")}");
        }

        var changed = pause ? pipeline.Pause() : pipeline.Resume();

        // Who: the caller's address and user agent (the bearer token is never logged).
        logger.LogInformation("Admin: pipeline {Pipeline} {Action} by {Remote} ({UserAgent}){Unchanged}",
            name, pause ? "paused" : "resumed", context.Connection.RemoteIpAddress, context.Request.Headers.UserAgent.ToString(),
            changed ? "" : pause ? "; it already was paused" : "; it was not paused");
        return Results.Json(new { pipeline = name, paused = pipeline.IsPaused, changed }, Json);
    }

    private static void MapAsset(WebApplication app, string path, string name, string contentType)
    {
        using var stream = typeof(NodeHttpServer).Assembly.GetManifestResourceStream($"ActorStream.Hosting.Dashboard.{name}")
            ?? throw new InvalidOperationException($"dashboard asset {name} is not embedded");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        app.MapGet(path, (HttpContext context) =>
        {
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(bytes, contentType);
        });
    }

    private static List<string> Readiness(ActorStreamNode node, PipelineMonitoring monitoring)
    {
        var problems = new List<string>();
        var cluster = Cluster.Get(node.System);
        if (cluster.SelfMember.Status != MemberStatus.Up)
        {
            problems.Add($"cluster member is {cluster.SelfMember.Status}, not Up");
        }

        foreach (var pipeline in node.RunningPipelines)
        {
            if (pipeline.Completion.IsCompleted)
            {
                problems.Add($"pipeline {pipeline.Settings.Name} is {(pipeline.Completion.IsFaulted ? "failed" : "stopped")}");
            }
            else if (monitoring.AssignedPartitions(pipeline.Settings.GroupId).Count == 0)
            {
                problems.Add($"pipeline {pipeline.Settings.Name} has no partitions assigned yet (group {pipeline.Settings.GroupId})");
            }
        }

        return problems;
    }

    private static IResult? Authorized(HttpContext context, HttpSettings settings)
    {
        if (settings.AdminToken is null)
        {
            return Error(StatusCodes.Status403Forbidden, $"admin actions are disabled: no admin token is configured (actorstream.http.admin-token or {HttpSettings.AdminTokenVariable})");
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        var given = header.StartsWith(prefix, StringComparison.Ordinal) ? header[prefix.Length..].Trim() : "";
        var ok = given.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(settings.AdminToken));
        if (ok)
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Error(StatusCodes.Status401Unauthorized, "admin actions need the admin token: Authorization: Bearer <token>");
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, Json, statusCode: status);
}
