using System.Net;
using ActorStream.SchemaRegistry.Internal;
using ActorStream.SchemaRegistry.Internal.Http;
using ActorStream.SchemaRegistry.Internal.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorStream.SchemaRegistry;

/// <summary>
/// A running Confluent-compatible Schema Registry (JSON Schema) on Kestrel, storing in SQLite or PostgreSQL.
/// Start with <see cref="StartAsync"/>; clients (e.g. Confluent's <c>CachedSchemaRegistryClient</c>) use <see cref="Url"/>.
/// </summary>
public sealed class SchemaRegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SqlRegistryStore _store;
    private int _stopped;

    private SchemaRegistryServer(WebApplication app, SqlRegistryStore store, Uri url, string storage)
    {
        _app = app;
        _store = store;
        Url = url;
        Storage = storage;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:38081</c> (the real port when the settings said 0).</summary>
    public Uri Url { get; }

    /// <summary>Where the registry stores its data, for logs, e.g. <c>sqlite:/srv/data/actorstream.db</c>.</summary>
    public string Storage { get; }

    /// <summary>
    /// Opens the storage (creating missing tables) and starts serving. Throws <see cref="SchemaRegistryStartException"/>
    /// when the storage cannot be opened or the address cannot be bound.
    /// </summary>
    public static async Task<SchemaRegistryServer> StartAsync(SchemaRegistrySettings settings, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("ActorStream.SchemaRegistry");

        SqlRegistryStore store;
        try
        {
            store = RegistryStores.Create(settings);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new SchemaRegistryStartException($"cannot open the {settings.StorageProvider} storage: {ex.Message}", ex);
        }

        try
        {
            await store.InitializeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await store.DisposeAsync();
            throw new SchemaRegistryStartException($"cannot open the storage {store.Description}: {ex.Message}", ex);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SchemaRegistryServer).Assembly.GetName().Name,
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RegistryHttp.DrainLimit(settings.MaxRequestBytes);
            foreach (var address in Addresses(settings.Host))
            {
                kestrel.Listen(address, settings.Port);
            }
        });

        var app = builder.Build();
        app.UseRegistryErrors(logger);
        app.MapRegistry(new RegistryService(store, settings.DefaultCompatibility), settings.MaxRequestBytes);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await app.DisposeAsync();
            await store.DisposeAsync();
            throw new SchemaRegistryStartException($"cannot listen on {settings.Host}:{settings.Port}: {ex.Message}", ex);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new SchemaRegistryStartException("Kestrel reported no bound address", null);
        var url = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal), UriKind.Absolute);
        logger.LogInformation("Schema registry listening on {Url}, storage {Storage}, default compatibility {Level}",
            url, store.Description, CompatibilityLevels.Name(settings.DefaultCompatibility));
        return new SchemaRegistryServer(app, store, new Uri(url.GetLeftPart(UriPartial.Authority)), store.Description);
    }

    /// <summary>Stops accepting requests, lets running ones finish (bounded by the token) and closes the storage.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(cancellationToken);
        }
        finally
        {
            await _app.DisposeAsync();
            await _store.DisposeAsync();
        }
    }

    /// <summary>Same as <see cref="StopAsync"/> with a 10 s grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await StopAsync(timeout.Token);
    }

    private static IEnumerable<IPAddress> Addresses(string host)
    {
        if (host is "localhost")
        {
            return [IPAddress.Loopback];
        }

        if (host is "*" or "+")
        {
            return [IPAddress.Any];
        }

        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return [address];
        }

        try
        {
            return Dns.GetHostAddresses(host).Take(1);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException)
        {
            throw new SchemaRegistryStartException($"cannot resolve host '{host}' (actorstream.schema-registry.host): {ex.Message}", ex);
        }
    }
}
