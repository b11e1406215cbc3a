using ActorStream.SchemaRegistry;
using Xunit;

namespace ActorStream.Host.Tests;

/// <summary>A registry in the test process for the <c>schemas</c> CLI to talk to.</summary>
public sealed class InProcessRegistryFixture : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"schemas-cli-{Guid.NewGuid():N}.db");

    public SchemaRegistryServer Server { get; private set; } = null!;

    public string Url => Server.Url.ToString().TrimEnd('/');

    public async Task InitializeAsync() =>
        Server = await SchemaRegistryServer.StartAsync(SchemaRegistrySettings.Create().WithSqlitePath(_database).WithPort(0));

    public async Task DisposeAsync()
    {
        await Server.StopAsync();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
        {
            File.Delete(file);
        }
    }
}

/// <summary><c>actorstream schemas register|get|list|check</c> through Confluent's client; errors are clear and exit non-zero.</summary>
public sealed class SchemasCommandTests(InProcessRegistryFixture registry) : IClassFixture<InProcessRegistryFixture>, IDisposable
{
    private const string V1 = """{"type":"object","properties":{"accountId":{"type":"string"},"amount":{"type":"number"}},"required":["accountId"]}""";
    private const string AmountAsText = """{"type":"object","properties":{"accountId":{"type":"string"},"amount":{"type":"string"}},"required":["accountId"]}""";

    private static readonly Dictionary<string, string?> NoRegistryEnvironment = new()
    {
        ["SCHEMA_REGISTRY_URL"] = null,
        ["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"] = null,
    };

    private readonly string _directory = Directory.CreateTempSubdirectory("schemas-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Register_get_list_and_check_a_schema()
    {
        var subject = $"accounts-{Guid.NewGuid():N}-value";
        var v1 = Write("v1.json", V1);

        var registered = await Schemas("register", "--subject", subject, "--file", v1, "--registry", registry.Url);
        Assert.Equal(0, registered.ExitCode);
        Assert.Matches(@"^id=\d+$", registered.Stdout.Trim());
        var again = await Schemas("register", "--subject", subject, "--file", v1, "--registry", registry.Url);
        Assert.Equal(registered.Stdout, again.Stdout);

        var got = await Schemas("get", "--subject", subject, "--registry", registry.Url);
        Assert.Equal(0, got.ExitCode);
        var lines = got.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"subject={subject} version=1 {registered.Stdout.Trim()}", lines[0]);
        Assert.Equal(V1, lines[1]);

        var subjects = await Schemas("list", "--registry", registry.Url);
        Assert.Contains(subject, subjects.Stdout.Split('\n'));
        var versions = await Schemas("list", "--subject", subject, "--registry", registry.Url);
        Assert.Equal("1", versions.Stdout.Trim());

        var compatible = await Schemas("check", "--subject", subject, "--file", v1, "--registry", registry.Url);
        Assert.Equal((0, "compatible"), (compatible.ExitCode, compatible.Stdout.Trim()));
        var incompatible = await Schemas("check", "--subject", subject, "--file", Write("text.json", AmountAsText), "--registry", registry.Url);
        Assert.Equal((3, "incompatible"), (incompatible.ExitCode, incompatible.Stdout.Trim()));
        Assert.Contains("TYPE_CHANGED at #/properties/amount/type", incompatible.Stderr);
    }

    [Fact]
    public async Task An_incompatible_registration_exits_1_naming_the_conflict()
    {
        var subject = $"accounts-{Guid.NewGuid():N}-value";
        Assert.Equal(0, (await Schemas("register", "--subject", subject, "--file", Write("v1.json", V1), "--registry", registry.Url)).ExitCode);

        var (exit, stdout, stderr) = await Schemas("register", "--subject", subject, "--file", Write("text.json", AmountAsText), "--registry", registry.Url);

        Assert.Equal(1, exit);
        Assert.Empty(stdout.Trim());
        Assert.Contains("incompatible", stderr);
        Assert.Contains("HTTP 409", stderr);
        Assert.Contains("TYPE_CHANGED", stderr);
    }

    [Fact]
    public async Task The_registry_url_comes_from_the_environment_or_the_configuration()
    {
        var subject = $"env-{Guid.NewGuid():N}";
        var file = Write("v1.json", V1);
        var fromEnvironment = await Actorstream.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["SCHEMA_REGISTRY_URL"] = registry.Url },
            "schemas", "register", "--subject", subject, "--file", file);
        Assert.Equal(0, fromEnvironment.ExitCode);

        // The server's own settings (here an incomplete PostgreSQL storage) are not the client's business.
        var fromConfig = await Actorstream.RunWithEnvironmentAsync(NoRegistryEnvironment,
            "schemas", "list", "--set", $"actorstream.schema-registry.url={registry.Url}", "--set", "actorstream.schema-registry.storage.provider=postgresql");
        Assert.Equal(0, fromConfig.ExitCode);
        Assert.Contains(subject, fromConfig.Stdout.Split('\n'));
    }

    [Fact]
    public async Task Missing_file_missing_registry_and_unreachable_registry_are_clear_errors()
    {
        var missingFile = await Schemas("register", "--subject", "s", "--file", "/nonexistent/schema.json", "--registry", registry.Url);
        Assert.Equal(2, missingFile.ExitCode);
        Assert.Contains("'/nonexistent/schema.json' does not exist", missingFile.Stderr);

        var noRegistry = await Schemas("list");
        Assert.Equal(2, noRegistry.ExitCode);
        Assert.Contains("--registry", noRegistry.Stderr);
        Assert.Contains("SCHEMA_REGISTRY_URL", noRegistry.Stderr);
        Assert.Contains("actorstream.schema-registry.url", noRegistry.Stderr);

        var unreachable = await Schemas("list", "--registry", "http://127.0.0.1:1");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the schema registry at http://127.0.0.1:1", unreachable.Stderr);

        var unknownSubject = await Schemas("get", "--subject", "no-such-subject", "--registry", registry.Url);
        Assert.Equal(1, unknownSubject.ExitCode);
        Assert.Contains("error code 40401", unknownSubject.Stderr);
        Assert.DoesNotContain("   at ", unknownSubject.Stderr); // no stack traces
    }

    [Fact]
    public async Task Basic_auth_comes_from_the_environment_and_must_be_user_colon_password()
    {
        // Our dev registry ignores credentials: this checks the client is configured with them and still works.
        var withCredentials = await Actorstream.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["SCHEMA_REGISTRY_URL"] = null, ["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"] = "ops:secret" },
            "schemas", "list", "--registry", registry.Url);
        Assert.Equal(0, withCredentials.ExitCode);

        var malformed = await Actorstream.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["SCHEMA_REGISTRY_URL"] = null, ["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"] = "no-colon" },
            "schemas", "list", "--registry", registry.Url);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be user:password", malformed.Stderr);
        Assert.DoesNotContain("no-colon", malformed.Stderr); // never echo credentials
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> Schemas(params string[] arguments) =>
        Actorstream.RunWithEnvironmentAsync(NoRegistryEnvironment, ["schemas", .. arguments]);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }
}
