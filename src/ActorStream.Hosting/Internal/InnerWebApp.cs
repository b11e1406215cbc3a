using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorStream.Hosting.Internal;

/// <summary>
/// The node's own small Kestrel applications (HTTP endpoints, management endpoint): independent of
/// the application's web stack, if it has one, and logging through the application's logger factory.
/// </summary>
internal static class InnerWebApp
{
    public static WebApplicationBuilder CreateBuilder(ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();

        // An instance registration: the inner application never disposes the application's factory.
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        return builder;
    }
}
