using System.Globalization;
using System.Net;
using ActorStream.Hosting.Internal.Configuration;
using Akka.Configuration;

namespace ActorStream.Hosting.Internal.Http;

/// <summary>
/// <c>actorstream.http</c>: the node's HTTP endpoints (metrics, health, API). Bound to localhost by
/// default; admin actions need <see cref="AdminToken"/>. Environment: <c>ACTORSTREAM_HTTP_PORT</c>,
/// <c>ACTORSTREAM_HTTP_HOST</c>, <c>ACTORSTREAM_ADMIN_TOKEN</c>, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
/// </summary>
internal sealed record HttpSettings(bool Enabled, IPAddress Host, int Port, string? AdminToken, long MaxRequestBytes, Uri? OtlpEndpoint)
{
    public const string PortVariable = "ACTORSTREAM_HTTP_PORT";
    public const string HostVariable = "ACTORSTREAM_HTTP_HOST";
    public const string AdminTokenVariable = "ACTORSTREAM_ADMIN_TOKEN";
    public const string OtlpVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static HttpSettings Create(Config config)
    {
        var enabled = Raw(config, "enabled", "on") switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            var raw => throw new NodeConfigException($"actorstream.http.enabled: must be on or off; got '{raw}'"),
        };

        var hostRaw = Env(HostVariable) ?? Raw(config, "host", "127.0.0.1");
        if (!IPAddress.TryParse(hostRaw, out var host))
        {
            throw new NodeConfigException($"actorstream.http.host ({HostVariable}): '{hostRaw}' is not an IP address (127.0.0.1 = this machine only, 0.0.0.0 = every interface)");
        }

        var portRaw = Env(PortVariable) ?? Raw(config, "port", "9190");
        if (!int.TryParse(portRaw, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new NodeConfigException($"actorstream.http.port ({PortVariable}): must be 0 (any free port) to 65535; got '{portRaw}'");
        }

        var token = Env(AdminTokenVariable) ?? Raw(config, "admin-token", "");
        var maxRaw = Raw(config, "max-request-bytes", "65536");
        if (!long.TryParse(maxRaw, NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < 1024)
        {
            throw new NodeConfigException($"actorstream.http.max-request-bytes: must be a whole number >= 1024; got '{maxRaw}'");
        }

        var otlpRaw = Env(OtlpVariable) ?? Raw(config, "otlp-endpoint", "");
        Uri? otlp = null;
        if (otlpRaw.Length > 0 && (!Uri.TryCreate(otlpRaw, UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https")))
        {
            throw new NodeConfigException($"actorstream.http.otlp-endpoint ({OtlpVariable}): '{otlpRaw}' is not an http(s) URL");
        }

        return new HttpSettings(enabled, host, port, token.Length == 0 ? null : token, max, otlp);
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;

    private static string Raw(Config config, string key, string fallback) =>
        config.GetValue($"actorstream.http.{key}") is { } v && v.IsString() ? v.GetString().Trim() : fallback;
}
