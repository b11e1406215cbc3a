using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Http;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream cluster status [--node URL]</c>: the cluster as a node sees it — members with
/// status and roles, shards and entities per member, and the partitions consumed on that node.
/// </summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var command = new Command("cluster", "Cluster membership and placement.");
        var node = new Option<string?>("--node") { Description = $"Base URL of a node's HTTP endpoints (default http://127.0.0.1:<{HttpSettings.PortVariable} or 9190>)." };
        var status = new Command("status", "Members, roles, shards and entities per member, partitions consumed on the node.") { node };
        status.SetAction(async (parse, cancellationToken) =>
        {
            await Task.Yield();
            var output = parse.InvocationConfiguration.Output;
            var url = parse.GetValue(node) ?? $"http://127.0.0.1:{(Environment.GetEnvironmentVariable(HttpSettings.PortVariable) is { Length: > 0 } p && p != "0" ? p : "9190")}";
            if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"actorstream cluster status: error: --node: '{url}' is not an http URL");
                return ExitCodes.Usage;
            }

            JsonElement cluster;
            try
            {
                using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
                cluster = await http.GetFromJsonAsync<JsonElement>("/api/cluster", cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"actorstream cluster status: error: --node {url}: no ActorStream node answers there ({ex.Message})");
                return ExitCodes.Usage;
            }

            await output.WriteLineAsync($"node {cluster.GetProperty("self").GetString()} ({cluster.GetProperty("self_status").GetString()})");
            await output.WriteLineAsync($"{"MEMBER",-48} {"STATUS",-9} {"SHARDS",7} {"ENTITIES",9}  ROLES");
            foreach (var m in cluster.GetProperty("members").EnumerateArray())
            {
                var roles = string.Join(",", m.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
                await output.WriteLineAsync($"{m.GetProperty("address").GetString(),-48} {m.GetProperty("status").GetString(),-9} {m.GetProperty("shards").GetInt32(),7} {m.GetProperty("entities").GetInt64(),9}  {roles}{(m.GetProperty("reachable").GetBoolean() ? "" : "  UNREACHABLE")}");
            }

            foreach (var pipeline in cluster.GetProperty("partitions").EnumerateArray())
            {
                var assigned = pipeline.GetProperty("assigned").EnumerateArray().Select(a => a.GetString()).ToList();
                await output.WriteLineAsync($"pipeline {pipeline.GetProperty("pipeline").GetString()}: {assigned.Count} partition(s) consumed on this node: {string.Join(", ", assigned)}");
            }

            var diagnostics = cluster.TryGetProperty("diagnostics", out var list) ? list.EnumerateArray().ToList() : [];
            await output.WriteLineAsync(diagnostics.Count == 0 ? "diagnostics: none" : "diagnostics:");
            foreach (var d in diagnostics)
            {
                await output.WriteLineAsync($"  {d.GetProperty("id").GetString()} (seen {d.GetProperty("count").GetInt64()}×): {d.GetProperty("condition").GetString()}");
                await output.WriteLineAsync($"    fix: {d.GetProperty("fix").GetString()}");
            }

            return ExitCodes.Success;
        });
        command.Subcommands.Add(status);
        return command;
    }
}
