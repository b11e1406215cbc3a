using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Http;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Kafka.Settings;
using ActorStream.Monitoring;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream lag</c>: a table per partition. From a running node (<c>--node URL</c>, default
/// the local node's HTTP port) it shows the node's view with status and exits 1 while an alert is
/// firing; with <c>--config</c> it reads the groups' committed offsets straight from Kafka and
/// exits 1 when a pipeline's lag is above <c>alerts.lag-above.threshold</c>.
/// </summary>
internal static class LagCommand
{
    public static Command Create()
    {
        var (config, set) = (ClusterConfig.ConfigOption(), ClusterConfig.SetOption());
        var node = new Option<string?>("--node") { Description = $"Base URL of a running node's HTTP endpoints (default http://127.0.0.1:<{HttpSettings.PortVariable} or 9190>)." };
        var command = new Command("lag", "Consumer lag per partition; exit 1 while an alert is firing (node) or lag is above the threshold (--config).") { config, set, node };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await Task.Yield();
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                return parse.GetValue(config) is not null || (parse.GetValue(set)?.Length ?? 0) > 0
                    ? await FromKafkaAsync(ClusterConfig.Load(parse.GetValue(config), parse.GetValue(set) ?? []), output)
                    : await FromNodeAsync(parse.GetValue(node) ?? DefaultNodeUrl(), output, cancellationToken);
            }
            catch (Exception ex) when (ex is NodeConfigException or KafkaConfigurationException or PipelineConfigurationException)
            {
                await error.WriteLineAsync($"actorstream lag: error: {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (Confluent.Kafka.KafkaException ex)
            {
                await error.WriteLineAsync($"actorstream lag: error: Kafka: {ex.Error.Reason}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static async Task<int> FromKafkaAsync(Akka.Configuration.Config config, TextWriter output)
    {
        var pipelines = PipelineSettings.FromConfig(config);
        var threshold = MonitoringSettings.Create(config).LagAboveThreshold;
        var above = 0;
        await Header(output);
        foreach (var pipeline in pipelines)
        {
            var lag = PipelineMonitoring.ReadOnce(config, pipeline);
            foreach (var p in lag.Partitions)
            {
                await Row(output, pipeline.Name, p.Topic, p.Partition, p.Committed, p.HighWatermark, p.Lag, "-");
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{pipeline.Name}: total lag {lag.TotalLag} (group {pipeline.GroupId})"));
            if (threshold > 0 && lag.TotalLag > threshold)
            {
                above++;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{pipeline.Name}: lag {lag.TotalLag} is above actorstream.monitoring.alerts.lag-above.threshold {threshold}"));
            }
        }

        return above == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static async Task<int> FromNodeAsync(string url, TextWriter output, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new NodeConfigException($"--node: '{url}' is not an http URL");
        }

        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
        JsonElement lag, alerts;
        try
        {
            lag = await http.GetFromJsonAsync<JsonElement>("/api/lag", cancellationToken);
            alerts = await http.GetFromJsonAsync<JsonElement>("/api/alerts", cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            throw new NodeConfigException($"--node {url}: no ActorStream node answers there ({ex.Message}); start one, pass --node, or read Kafka directly with --config");
        }

        await Header(output);
        foreach (var pipeline in lag.EnumerateArray())
        {
            var name = pipeline.GetProperty("pipeline").GetString()!;
            foreach (var p in pipeline.GetProperty("partitions").EnumerateArray())
            {
                await Row(output, name, p.GetProperty("topic").GetString()!, p.GetProperty("partition").GetInt32(), p.GetProperty("committed").GetInt64(),
                    p.GetProperty("high_watermark").GetInt64(), p.GetProperty("lag").GetInt64(), p.GetProperty("status").GetString()!);
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name}: total lag {pipeline.GetProperty("total_lag").GetInt64()} (group {pipeline.GetProperty("group").GetString()})"));
        }

        var firing = alerts.GetProperty("firing").EnumerateArray().ToList();
        foreach (var alert in firing)
        {
            await output.WriteLineAsync($"ALERT {alert.GetProperty("id").GetString()}: {alert.GetProperty("message").GetString()}");
        }

        return firing.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static string DefaultNodeUrl()
    {
        var port = Environment.GetEnvironmentVariable(HttpSettings.PortVariable);
        return $"http://127.0.0.1:{(port is { Length: > 0 } && port != "0" ? port : "9190")}";
    }

    private static Task Header(TextWriter output) =>
        output.WriteLineAsync($"{"PIPELINE",-16} {"TOPIC",-24} {"PART",4} {"COMMITTED",12} {"HIGH",12} {"LAG",10}  STATUS");

    private static Task Row(TextWriter output, string pipeline, string topic, int partition, long committed, long high, long lag, string status) =>
        output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{pipeline,-16} {topic,-24} {partition,4} {committed,12} {high,12} {lag,10}  {status}"));
}
