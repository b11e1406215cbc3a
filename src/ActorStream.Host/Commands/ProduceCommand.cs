using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ActorStream.Host.Cli;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;
using Confluent.SchemaRegistry;

namespace ActorStream.Host.Commands;

/// <summary>
/// <c>actorstream produce --topic T</c>: writes records — one from <c>--key</c>/<c>--value</c>, or one per
/// line of a JSONL <c>--file</c> (<c>{"key": "a-1", "value": {...}}</c>) — as plain JSON or, with
/// <c>--format json-schema</c>, validated against the subject <c>&lt;topic&gt;-value</c> and framed in
/// Confluent's wire format. Every record is read and checked before the first one is produced, so bad
/// input writes nothing. Producer: idempotent, acks=all, murmur2_random (the connector's defaults).
/// </summary>
internal static class ProduceCommand
{
    private const string UrlConfigKey = "actorstream.schema-registry.url";

    // An unreachable broker fails the command after this long instead of librdkafka's 5 minutes.
    private const int MessageTimeoutMs = 30_000;

    public static Command Create()
    {
        var (config, set) = (ClusterConfig.ConfigOption(), ClusterConfig.SetOption());
        var topic = new Option<string?>("--topic") { Description = "The topic to write to (required)." };
        var key = new Option<string?>("--key") { Description = "Key of the --value record (default: no key)." };
        var value = new Option<string?>("--value") { Description = "One record's value, a JSON document." };
        var file = new Option<string?>("--file") { Description = "JSONL file, one record per line: {\"key\": \"a-1\" or null, \"value\": <JSON>}; blank lines are skipped." };
        var format = new Option<string>("--format") { Description = "json (plain JSON, default) or json-schema (Confluent wire format, subject <topic>-value).", DefaultValueFactory = _ => "json" };
        var autoRegister = new Option<bool>("--auto-register") { Description = "json-schema: register --schema under <topic>-value and write with it (dev); default: the subject's latest version (production)." };
        var schema = new Option<string?>("--schema") { Description = "json-schema with --auto-register: the JSON Schema file to register." };
        var registry = new Option<string?>("--registry") { Description = "Schema Registry URL; default: SCHEMA_REGISTRY_URL, then actorstream.schema-registry.url." };
        var headers = new Option<string[]>("--header") { Description = "A header KEY=VALUE added to every record, repeatable.", Arity = ArgumentArity.ZeroOrMore, DefaultValueFactory = _ => [] };
        var command = new Command("produce", "Write records to a topic: plain JSON or JSON Schema (Confluent wire format).")
        {
            topic, key, value, file, format, autoRegister, schema, registry, headers, config, set,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, new Options(
            parse.GetValue(topic), parse.GetValue(key), parse.GetValue(value), parse.GetValue(file), parse.GetValue(format) ?? "json",
            parse.GetValue(autoRegister), parse.GetValue(schema), parse.GetValue(registry), parse.GetValue(headers) ?? [],
            parse.GetValue(config), parse.GetValue(set) ?? []), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Options options, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        const string prefix = "actorstream produce: error:";
        List<(string? Key, string Value, int Line)> records;
        Headers recordHeaders;
        Dictionary<string, string> props;
        string? registryUrl = null;
        try
        {
            if (string.IsNullOrWhiteSpace(options.Topic))
            {
                throw new UsageException("--topic is required: the topic to write to");
            }

            if (options.Format is not ("json" or "json-schema"))
            {
                throw new UsageException($"--format '{options.Format}' is unknown; expected json or json-schema");
            }

            if (options.Format == "json" && (options.AutoRegister || options.Schema is not null))
            {
                throw new UsageException("--auto-register and --schema apply to --format json-schema only");
            }

            if (options.AutoRegister != (options.Schema is not null))
            {
                throw new UsageException(options.AutoRegister
                    ? "--auto-register needs --schema FILE: the JSON Schema to register under " + options.Topic + "-value"
                    : "--schema is only used with --auto-register (without it the subject's latest version is used)");
            }

            recordHeaders = ParseHeaders(options.Headers);
            records = ReadRecords(options);
            props = ClusterConfig.ClientProperties(ClusterConfig.Load(options.ConfigFile, options.Overrides));
            if (options.Format == "json-schema")
            {
                registryUrl = RegistryUrl(options);
            }
        }
        catch (Exception ex) when (ex is UsageException or NodeConfigException or KafkaConfigurationException)
        {
            await stderr.WriteLineAsync($"{prefix} {ex.Message}");
            return ExitCodes.Usage;
        }

        var values = new List<byte[]>(records.Count);
        if (registryUrl is null)
        {
            values.AddRange(records.Select(r => Encoding.UTF8.GetBytes(r.Value)));
        }
        else
        {
            var subject = options.Topic + "-value";
            try
            {
                var (id, jsonSchema) = await SchemaAsync(registryUrl, subject, options);
                foreach (var r in records)
                {
                    var errors = jsonSchema.Validate(r.Value);
                    if (errors.Count > 0)
                    {
                        var details = string.Join("; ", errors.Select(e => $"{(string.IsNullOrEmpty(e.Path) ? "#" : e.Path)}: {e.Kind}"));
                        await stderr.WriteLineAsync($"{prefix} {Where(options, r.Line)}: the value is not valid for subject {subject} (schema id {id}): {details}; nothing was written");
                        return ExitCodes.Failure;
                    }

                    values.Add(Frame(id, r.Value));
                }
            }
            catch (UsageException ex)
            {
                await stderr.WriteLineAsync($"{prefix} {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (RegistryException ex)
            {
                await stderr.WriteLineAsync($"{prefix} {ex.Message}");
                return ExitCodes.Failure;
            }
            catch (SchemaRegistryException ex)
            {
                await stderr.WriteLineAsync($"{prefix} the schema registry refused the request for subject {subject}: {ex.Message} (HTTP {(int)ex.Status}, error code {ex.ErrorCode})");
                return ExitCodes.Failure;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await stderr.WriteLineAsync($"{prefix} cannot reach the schema registry at {registryUrl}: {ex.Message}");
                return ExitCodes.Failure;
            }
        }

        var producerConfig = new ProducerConfig(props)
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            Partitioner = Partitioner.Murmur2Random,
            MessageTimeoutMs = MessageTimeoutMs,
        };
        try
        {
            using var producer = new ProducerBuilder<string?, byte[]>(producerConfig).Build();
            var pending = new Task<DeliveryResult<string?, byte[]>>[records.Count];
            for (var i = 0; i < records.Count; i++)
            {
                // Handed to the client in order, so records of one key keep the file's order.
                pending[i] = producer.ProduceAsync(options.Topic, new Message<string?, byte[]> { Key = records[i].Key!, Value = values[i], Headers = recordHeaders }, cancellationToken);
            }

            var delivered = await Task.WhenAll(pending);
            await stdout.WriteLineAsync($"wrote {delivered.Length} record(s) to {options.Topic} ({options.Format}): {Summary(delivered)}");
            return ExitCodes.Success;
        }
        catch (ProduceException<string?, byte[]> ex)
        {
            await stderr.WriteLineAsync($"{prefix} Kafka: {ex.Error.Reason} writing to {options.Topic}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable} and that the topic exists");
            return ExitCodes.Failure;
        }
        catch (KafkaException ex)
        {
            await stderr.WriteLineAsync($"{prefix} Kafka: {ex.Error.Reason}; check actorstream.kafka.bootstrap-servers / {KafkaDefaults.BootstrapServersEnvironmentVariable}");
            return ExitCodes.Failure;
        }
    }

    /// <summary><c>partition 0 offsets 3-5 (3), partition 2 offset 0 (1)</c>.</summary>
    private static string Summary(IEnumerable<DeliveryResult<string?, byte[]>> delivered) =>
        string.Join(", ", delivered.GroupBy(d => d.Partition.Value).OrderBy(g => g.Key).Select(g =>
        {
            var (low, high) = (g.Min(d => d.Offset.Value), g.Max(d => d.Offset.Value));
            var offsets = low == high ? low.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{low}-{high}");
            return string.Create(CultureInfo.InvariantCulture, $"partition {g.Key} offset{(low == high ? "" : "s")} {offsets} ({g.Count()})");
        }));

    private static string Where(Options options, int line) => options.File is null ? "--value" : $"--file {options.File} line {line}";

    private static byte[] Frame(int id, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var framed = new byte[body.Length + 5];
        framed[1] = (byte)(id >> 24);
        framed[2] = (byte)(id >> 16);
        framed[3] = (byte)(id >> 8);
        framed[4] = (byte)id;
        body.CopyTo(framed, 5);
        return framed;
    }

    /// <summary>
    /// The schema to write with: with <c>--auto-register</c> the <c>--schema</c> file, registered (idempotent);
    /// otherwise the subject's latest version (<c>use.latest.version=true</c>, never registering).
    /// </summary>
    private static async Task<(int Id, NJsonSchema.JsonSchema Schema)> SchemaAsync(string url, string subject, Options options)
    {
        var config = new SchemaRegistryConfig { Url = url, RequestTimeoutMs = 15000, MaxRetries = 1 };
        var userInfo = Environment.GetEnvironmentVariable(SchemasCommand.BasicAuthEnvironmentVariable);
        if (!string.IsNullOrEmpty(userInfo))
        {
            config.BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo;
            config.BasicAuthUserInfo = userInfo;
        }

        using var client = new CachedSchemaRegistryClient(config);
        string text;
        int id;
        if (options.AutoRegister)
        {
            if (!File.Exists(options.Schema))
            {
                throw new UsageException($"--schema {options.Schema}: file not found");
            }

            text = await File.ReadAllTextAsync(options.Schema!);
            id = await client.RegisterSchemaAsync(subject, new Schema(text, SchemaType.Json));
        }
        else
        {
            RegisteredSchema latest;
            try
            {
                latest = await client.GetLatestSchemaAsync(subject);
            }
            catch (SchemaRegistryException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                throw new RegistryException($"subject {subject} has no schema in the registry at {url} ({ex.Message}); register one (actorstream schemas register --subject {subject} --file F) or pass --auto-register --schema F");
            }

            if (latest.SchemaType != SchemaType.Json)
            {
                throw new RegistryException($"the latest schema of subject {subject} (id {latest.Id}) is {latest.SchemaType}, not JSON Schema");
            }

            (text, id) = (latest.SchemaString, latest.Id);
        }

        try
        {
            return (id, await NJsonSchema.JsonSchema.FromJsonAsync(text));
        }
        catch (Exception ex) when (ex is not HttpRequestException)
        {
            throw new RegistryException($"the schema of subject {subject} (id {id}) cannot be read as JSON Schema: {ex.Message}");
        }
    }

    private static string RegistryUrl(Options options)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(SchemasCommand.UrlEnvironmentVariable);
        var url = !string.IsNullOrWhiteSpace(options.Registry) ? options.Registry.Trim()
            : !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment.Trim()
            : (NodeConfig.Load(options.ConfigFile, options.Overrides).GetString(UrlConfigKey, "") ?? "").Trim();
        if (string.IsNullOrEmpty(url))
        {
            throw new UsageException(
                $"--format json-schema needs a schema registry: pass --registry URL, set the {SchemasCommand.UrlEnvironmentVariable} environment variable, or set {UrlConfigKey}");
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? url
            : throw new UsageException($"registry URL '{url}' is not an http:// or https:// URL");
    }

    private static Headers ParseHeaders(IEnumerable<string> values)
    {
        var headers = new Headers();
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--header '{value}' is invalid; expected KEY=VALUE, e.g. source=backfill");
            }

            headers.Add(value[..eq], Encoding.UTF8.GetBytes(value[(eq + 1)..]));
        }

        return headers;
    }

    private static List<(string? Key, string Value, int Line)> ReadRecords(Options options)
    {
        if ((options.Value is null) == (options.File is null))
        {
            throw new UsageException("pass exactly one of --value JSON or --file FILE");
        }

        if (options.Value is not null)
        {
            try
            {
                using var _ = JsonDocument.Parse(options.Value);
            }
            catch (JsonException ex)
            {
                throw new UsageException($"--value is not valid JSON: {ex.Message}");
            }

            return [(options.Key, options.Value, 1)];
        }

        if (options.Key is not null)
        {
            throw new UsageException("--key applies to --value; with --file each line carries its own \"key\"");
        }

        if (!File.Exists(options.File))
        {
            throw new UsageException($"--file {options.File}: file not found");
        }

        var records = new List<(string?, string, int)>();
        var number = 0;
        foreach (var line in File.ReadLines(options.File!))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                throw new UsageException($"--file {options.File} line {number}: invalid JSON: {ex.Message}");
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("value", out var value))
                {
                    throw new UsageException($"--file {options.File} line {number}: expected an object {{\"key\": \"k\" or null, \"value\": <JSON>}}");
                }

                string? key = null;
                if (root.TryGetProperty("key", out var keyElement) && keyElement.ValueKind != JsonValueKind.Null)
                {
                    key = keyElement.ValueKind == JsonValueKind.String
                        ? keyElement.GetString()
                        : throw new UsageException($"--file {options.File} line {number}: \"key\" must be a string or null, got {keyElement.ValueKind.ToString().ToLowerInvariant()}");
                }

                records.Add((key, value.GetRawText(), number));
            }
        }

        return records.Count > 0 ? records : throw new UsageException($"--file {options.File}: no records");
    }

    private sealed record Options(
        string? Topic, string? Key, string? Value, string? File, string Format, bool AutoRegister, string? Schema, string? Registry,
        string[] Headers, string? ConfigFile, string[] Overrides);

    private sealed class UsageException(string message) : Exception(message);

    private sealed class RegistryException(string message) : Exception(message);
}
