using System.Net;
using ActorStream.Host.Cli;
using ActorStream.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorStream.Host.Kafka;

/// <summary>The HTTP control port of <c>actorstream kafka</c>: Kestrel on 127.0.0.1 only, serving <see cref="KafkaControlApi"/>.</summary>
internal sealed class KafkaControlServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

    private readonly WebApplication _app;

    private KafkaControlServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    /// <summary>Starts the server; returns null (after logging why) if the port cannot be bound.</summary>
    public static async Task<KafkaControlServer?> TryStartAsync(
        EmbeddedKafka kafka, int port, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        StderrLogging.Configure(builder.Logging);
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, port);
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = KafkaControlApi.MaxBodyBytes;
        });
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = StopTimeout);

        var app = builder.Build();
        KafkaControlApi.Map(app, kafka, logger);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            logger.LogError("Cannot start the control API on 127.0.0.1:{Port}: {Message}", port, ex.Message);
            await app.DisposeAsync();
            return null;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        return new KafkaControlServer(app, $"http://127.0.0.1:{new Uri(address).Port}");
    }

    /// <summary>Completes when <paramref name="cancellationToken"/> fires (SIGINT/SIGTERM) or the host is asked to stop.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(StopTimeout))
        {
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // open connections are cut when the app is disposed
            }
        }

        await _app.DisposeAsync();
    }
}
