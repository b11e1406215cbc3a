using System.CommandLine;
using System.Globalization;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Configuration;
using Confluent.SchemaRegistry;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream schemas register|get|list|check</c>: operator commands against any Confluent-compatible Schema
/// Registry, through Confluent's own client. The registry comes from <c>--registry</c>, else <c>SCHEMA_REGISTRY_URL</c>,
/// else <c>actorstream.schema-registry.url</c> (<c>--config</c>/<c>--set</c>); basic auth from
/// <c>SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO</c> (<c>user:password</c>).
/// </summary>
/// <remarks>Exit codes: 0 done (compatible), 1 the registry refused or could not be reached, 2 usage, 3 <c>check</c>: incompatible.</remarks>
internal static class SchemasCommand
{
    public const string UrlEnvironmentVariable = "SCHEMA_REGISTRY_URL";
    public const string BasicAuthEnvironmentVariable = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";

    /// <summary>
    /// The configuration key of the registry URL. Read directly, not through the server's settings: this command is a
    /// client of any registry and must not depend on (or validate) the embedded server's storage settings.
    /// </summary>
    public const string UrlConfigKey = "actorstream.schema-registry.url";

    /// <summary>Exit code of <c>check</c> for an incompatible schema.</summary>
    public const int Incompatible = 3;

    private static readonly string[] SchemaTypes = ["JSON", "AVRO", "PROTOBUF"];

    public static Command Create()
    {
        var command = new Command("schemas", "Register, read, list and check schemas in a Schema Registry (Confluent-compatible).");
        command.Subcommands.Add(Register());
        command.Subcommands.Add(Get());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Check());
        return command;
    }

    private static Command Register()
    {
        var common = new CommonOptions(subjectRequired: true);
        var file = FileOption();
        var type = TypeOption();
        var command = new Command("register", "Register the schema in FILE under SUBJECT; prints id=<id> (the existing id if already registered).");
        common.AddTo(command);
        command.Options.Add(file);
        command.Options.Add(type);
        command.SetAction((parseResult, cancellationToken) => common.RunAsync(parseResult, "register", async (client, stdout) =>
        {
            var schema = await ReadSchemaAsync(parseResult.GetValue(file)!, parseResult.GetValue(type)!, cancellationToken);
            var id = await client.RegisterSchemaAsync(common.Subject(parseResult), schema);
            await stdout.WriteLineAsync($"id={id.ToString(CultureInfo.InvariantCulture)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Get()
    {
        var common = new CommonOptions(subjectRequired: true);
        var version = new Option<string>("--version")
        {
            Description = "Version number or 'latest' (default).",
            DefaultValueFactory = _ => "latest",
        };
        var command = new Command("get", "Print the schema of SUBJECT at a version (default latest); the first line is 'subject=S version=V id=N'.");
        common.AddTo(command);
        command.Options.Add(version);
        command.SetAction((parseResult, cancellationToken) => common.RunAsync(parseResult, "get", async (client, stdout) =>
        {
            var subject = common.Subject(parseResult);
            var text = parseResult.GetValue(version)!.Trim();
            RegisteredSchema schema;
            if (string.Equals(text, "latest", StringComparison.OrdinalIgnoreCase))
            {
                schema = await client.GetLatestSchemaAsync(subject);
            }
            else if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1)
            {
                schema = await client.GetRegisteredSchemaAsync(subject, number);
            }
            else
            {
                throw new UsageException($"--version '{text}' is invalid; expected a version number >= 1 or 'latest'");
            }

            await stdout.WriteLineAsync($"subject={schema.Subject} version={schema.Version} id={schema.Id}");
            await stdout.WriteLineAsync(schema.SchemaString);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command List()
    {
        var common = new CommonOptions(subjectRequired: false);
        var command = new Command("list", "List the subjects, one per line; with --subject, that subject's versions.");
        common.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => common.RunAsync(parseResult, "list", async (client, stdout) =>
        {
            var subject = parseResult.GetValue(common.SubjectOption);
            var lines = string.IsNullOrEmpty(subject)
                ? await client.GetAllSubjectsAsync()
                : (await client.GetSubjectVersionsAsync(subject)).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToList();
            foreach (var line in lines)
            {
                await stdout.WriteLineAsync(line);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Check()
    {
        var common = new CommonOptions(subjectRequired: true);
        var file = FileOption();
        var type = TypeOption();
        var command = new Command("check",
            $"Check the schema in FILE against SUBJECT's latest version under the subject's compatibility level. Prints 'compatible' (exit 0) or 'incompatible' (exit {Incompatible}).");
        common.AddTo(command);
        command.Options.Add(file);
        command.Options.Add(type);
        command.SetAction((parseResult, cancellationToken) => common.RunAsync(parseResult, "check", async (client, stdout) =>
        {
            var schema = await ReadSchemaAsync(parseResult.GetValue(file)!, parseResult.GetValue(type)!, cancellationToken);
            var subject = common.Subject(parseResult);
            var compatible = await client.IsCompatibleAsync(subject, schema);
            await stdout.WriteLineAsync(compatible ? "compatible" : "incompatible");
            if (!compatible)
            {
                foreach (var reason in await common.ReasonsAsync(subject, schema, cancellationToken))
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"  {reason}");
                }
            }

            return compatible ? ExitCodes.Success : Incompatible;
        }));
        return command;
    }

    private static Option<string> FileOption() => new("--file")
    {
        Description = "File holding the schema text.",
        Required = true,
    };

    private static Option<string> TypeOption() => new("--type")
    {
        Description = "Schema type: JSON (default), AVRO or PROTOBUF (the ActorStream registry stores JSON only).",
        DefaultValueFactory = _ => "JSON",
        CustomParser = r =>
        {
            var token = r.Tokens.Count > 0 ? r.Tokens[^1].Value.Trim().ToUpperInvariant() : "JSON";
            if (!SchemaTypes.Contains(token))
            {
                r.AddError($"--type '{token}' is invalid; expected one of {string.Join(", ", SchemaTypes)}.");
            }

            return token;
        },
    };

    private static async Task<Schema> ReadSchemaAsync(string file, string type, CancellationToken cancellationToken)
    {
        if (!File.Exists(file))
        {
            throw new UsageException($"--file: file '{file}' does not exist");
        }

        var text = await File.ReadAllTextAsync(file, cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new UsageException($"--file: file '{file}' is empty");
        }

        var schemaType = type switch
        {
            "AVRO" => SchemaType.Avro,
            "PROTOBUF" => SchemaType.Protobuf,
            _ => SchemaType.Json,
        };
        return new Schema(text, schemaType);
    }

    /// <summary>Options every subcommand has, and running a subcommand with a client and uniform error handling.</summary>
    private sealed class CommonOptions
    {
        private readonly Option<string?> _registry = new("--registry")
        {
            Description = $"Schema Registry URL; default: the {UrlEnvironmentVariable} environment variable, then actorstream.schema-registry.url.",
        };

        private readonly Option<string?> _config = new("--config") { Description = "HOCON configuration file (for actorstream.schema-registry.url)." };

        private readonly Option<string[]> _set = new("--set")
        {
            Description = "Override one configuration key, repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
        };

        private string? _url;

        public CommonOptions(bool subjectRequired)
        {
            SubjectOption = new Option<string?>("--subject") { Description = "Subject name, e.g. accounts-value.", Required = subjectRequired };
        }

        public Option<string?> SubjectOption { get; }

        public void AddTo(Command command)
        {
            command.Options.Add(SubjectOption);
            command.Options.Add(_registry);
            command.Options.Add(_config);
            command.Options.Add(_set);
        }

        public string Subject(ParseResult parseResult) => parseResult.GetValue(SubjectOption)!;

        public async Task<int> RunAsync(ParseResult parseResult, string name, Func<ISchemaRegistryClient, TextWriter, Task<int>> action)
        {
            await Task.Yield();
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            var prefix = $"actorstream schemas {name}: error:";
            string url;
            try
            {
                url = RegistryUrl(parseResult);
                _url = url.Split(',')[0].Trim();
            }
            catch (Exception ex) when (ex is UsageException or NodeConfigException)
            {
                await stderr.WriteLineAsync($"{prefix} {ex.Message}");
                return ExitCodes.Usage;
            }

            var config = new SchemaRegistryConfig { Url = url, RequestTimeoutMs = 15000, MaxRetries = 1 };
            var userInfo = Environment.GetEnvironmentVariable(BasicAuthEnvironmentVariable);
            if (!string.IsNullOrEmpty(userInfo))
            {
                if (!userInfo.Contains(':', StringComparison.Ordinal))
                {
                    await stderr.WriteLineAsync($"{prefix} {BasicAuthEnvironmentVariable} must be user:password");
                    return ExitCodes.Usage;
                }

                config.BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo;
                config.BasicAuthUserInfo = userInfo;
            }

            using var client = new CachedSchemaRegistryClient(config);
            try
            {
                return await action(client, stdout);
            }
            catch (UsageException ex)
            {
                await stderr.WriteLineAsync($"{prefix} {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (SchemaRegistryException ex)
            {
                var what = ex.ErrorCode == 409 ? "the schema is incompatible with the subject's earlier versions" : "the registry refused the request";
                await stderr.WriteLineAsync($"{prefix} {what}: {ex.Message} (HTTP {(int)ex.Status}, error code {ex.ErrorCode})");
                return ExitCodes.Failure;
            }
            catch (HttpRequestException ex)
            {
                await stderr.WriteLineAsync($"{prefix} cannot reach the schema registry at {url}: {ex.Message}");
                return ExitCodes.Failure;
            }
            catch (TaskCanceledException)
            {
                await stderr.WriteLineAsync($"{prefix} the schema registry at {url} did not answer within {config.RequestTimeoutMs} ms");
                return ExitCodes.Failure;
            }
        }

        /// <summary>
        /// The reasons of an incompatibility, from the standard <c>verbose=true</c> compatibility call (Confluent's client
        /// does not expose it). Best effort: registries that do not answer it yield no reasons.
        /// </summary>
        public async Task<IReadOnlyList<string>> ReasonsAsync(string subject, Schema schema, CancellationToken cancellationToken)
        {
            if (_url is null)
            {
                return [];
            }

            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(_url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(15) };
                var userInfo = Environment.GetEnvironmentVariable(BasicAuthEnvironmentVariable);
                if (!string.IsNullOrEmpty(userInfo))
                {
                    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                        "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(userInfo)));
                }

                var body = System.Text.Json.JsonSerializer.Serialize(new { schema = schema.SchemaString, schemaType = schema.SchemaType.ToString().ToUpperInvariant() });
                using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
                using var response = await http.PostAsync($"compatibility/subjects/{Uri.EscapeDataString(subject)}/versions/latest?verbose=true", content, cancellationToken);
                using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                return json.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == System.Text.Json.JsonValueKind.Array
                    ? messages.EnumerateArray().Select(m => m.ToString()).ToList()
                    : [];
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException or UriFormatException)
            {
                return [];
            }
        }

        private string RegistryUrl(ParseResult parseResult)
        {
            var fromOption = parseResult.GetValue(_registry);
            var fromEnvironment = Environment.GetEnvironmentVariable(UrlEnvironmentVariable);
            var url = !string.IsNullOrWhiteSpace(fromOption) ? fromOption.Trim()
                : !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment.Trim()
                : (NodeConfig.Load(parseResult.GetValue(_config), parseResult.GetValue(_set) ?? []).GetString(UrlConfigKey, "") ?? "").Trim();
            if (string.IsNullOrEmpty(url))
            {
                throw new UsageException(
                    $"no schema registry: pass --registry URL, set the {UrlEnvironmentVariable} environment variable, or set {UrlConfigKey}");
            }

            return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? url
                : throw new UsageException($"registry URL '{url}' is not an http:// or https:// URL");
        }
    }

    private sealed class UsageException(string message) : Exception(message);
}
