using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ActorStream.Host.Cli;

/// <summary>
/// Logging for CLI commands: single-line console logs, all written to stderr, because stdout carries
/// machine-readable output (e.g. the first line of <c>actorstream kafka</c>).
/// </summary>
internal static class StderrLogging
{
    public static ILoggerFactory CreateFactory() => LoggerFactory.Create(Configure);

    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.UseUtcTimestamp = true;
        });
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System", LogLevel.Warning);
        logging.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
