using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Http;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream pipelines pause|resume NAME [--node URL] [--token-env VAR]</c>: the node's admin
/// actions <c>POST /api/admin/pipelines/NAME/pause|resume</c>. The admin token is read from an
/// environment variable (default <c>ACTORSTREAM_ADMIN_TOKEN</c>), never from the command line, where
/// it would show in the process list and shell history.
/// </summary>
internal static class PipelinesCommand
{
    public static Command Create()
    {
        var command = new Command("pipelines", "Admin actions on a running node's pipelines.");
        command.Subcommands.Add(Action("pause", "Stop taking new records on the node (in-flight records finish and are committed; the consumer stays in its group)."));
        command.Subcommands.Add(Action("resume", "Continue a paused pipeline where it stopped."));
        return command;
    }

    private static Command Action(string action, string description)
    {
        var name = new Argument<string>("name") { Description = "The pipeline's name." };
        var node = new Option<string?>("--node") { Description = $"Base URL of the node's HTTP endpoints (default http://127.0.0.1:<{HttpSettings.PortVariable} or 9190>)." };
        var tokenEnv = new Option<string>("--token-env") { Description = "Environment variable holding the admin token.", DefaultValueFactory = _ => HttpSettings.AdminTokenVariable };
        var command = new Command(action, description) { name, node, tokenEnv };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var prefix = $"actorstream pipelines {action}: error:";
            var url = parse.GetValue(node) ?? $"http://127.0.0.1:{(Environment.GetEnvironmentVariable(HttpSettings.PortVariable) is { Length: > 0 } p && p != "0" ? p : "9190")}";
            if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            {
                await error.WriteLineAsync($"{prefix} --node: '{url}' is not an http URL");
                return ExitCodes.Usage;
            }

            var variable = parse.GetValue(tokenEnv)!;
            if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } token)
            {
                await error.WriteLineAsync($"{prefix} --token-env: the environment variable {variable} is not set (it must hold the node's admin token)");
                return ExitCodes.Usage;
            }

            var pipeline = parse.GetValue(name)!;
            HttpResponseMessage response;
            string body;
            try
            {
                using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/pipelines/{Uri.EscapeDataString(pipeline)}/{action}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                response = await http.SendAsync(request, cancellationToken);
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await error.WriteLineAsync($"{prefix} --node {url}: no ActorStream node answers there ({ex.Message})");
                return ExitCodes.Failure;
            }

            using (response)
            {
                try
                {
                    using var json = JsonDocument.Parse(body);
                    if (!response.IsSuccessStatusCode)
                    {
                        var message = json.RootElement.TryGetProperty("error", out var e) ? e.GetString() : body;
                        await error.WriteLineAsync($"{prefix} {(int)response.StatusCode}: {message}");
                        return ExitCodes.Failure;
                    }

                    var paused = json.RootElement.GetProperty("paused").GetBoolean();
                    var changed = json.RootElement.GetProperty("changed").GetBoolean();
                    await parse.InvocationConfiguration.Output.WriteLineAsync(
                        $"pipeline {pipeline} on {url}: {(paused ? "paused" : "running")}{(changed ? "" : " (unchanged)")}");
                    return ExitCodes.Success;
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    await error.WriteLineAsync($"{prefix} --node {url}: not an ActorStream node's answer (HTTP {(int)response.StatusCode})");
                    return ExitCodes.Failure;
                }
            }
        });
        return command;
    }
}
