using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;

namespace ActorStream.TestKit;

/// <summary>
/// Client for the HTTP control API of <c>actorstream kafka</c> (the embedded broker in its own process):
/// topic creation and fault injection. The address is the <c>control=</c> line that command prints.
/// </summary>
/// <remarks>Every method throws <see cref="EmbeddedKafkaControlException"/> when the server answers with an error.</remarks>
public sealed class EmbeddedKafkaControlClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttpClient;

    /// <summary>Creates a client for the control API at <paramref name="baseAddress"/>, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    /// <param name="baseAddress">The control API's base URL.</param>
    public EmbeddedKafkaControlClient(Uri baseAddress)
        : this(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) }, ownsHttpClient: true)
    {
    }

    /// <summary>Creates a client on an existing <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is the control API.</summary>
    /// <param name="httpClient">The HTTP client to use; not disposed by this client.</param>
    public EmbeddedKafkaControlClient(HttpClient httpClient)
        : this(httpClient, ownsHttpClient: false)
    {
    }

    private EmbeddedKafkaControlClient(HttpClient httpClient, bool ownsHttpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress (the control API's URL).", nameof(httpClient));
        }

        _http = httpClient;
        _ownsHttpClient = ownsHttpClient;
    }

    /// <summary>The control API's base URL.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Reads the cluster's <c>bootstrap.servers</c> from <c>GET /health</c>.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The bootstrap servers list.</returns>
    public async Task<string> GetBootstrapServersAsync(CancellationToken cancellationToken = default)
    {
        using var health = await SendAsync(HttpMethod.Get, "health", null, cancellationToken);
        return health.RootElement.GetProperty("bootstrapServers").GetString() ?? string.Empty;
    }

    /// <summary>Lists the topics created through the control process (<c>GET /topics</c>), with their partition counts.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Topic name to partition count.</returns>
    public async Task<IReadOnlyDictionary<string, int>> GetTopicsAsync(CancellationToken cancellationToken = default)
    {
        using var topics = await SendAsync(HttpMethod.Get, "topics", null, cancellationToken);
        return topics.RootElement.EnumerateArray().ToDictionary(
            t => t.GetProperty("name").GetString()!,
            t => t.GetProperty("partitions").GetInt32(),
            StringComparer.Ordinal);
    }

    /// <summary>Creates a topic (<c>POST /topics</c>); succeeds if it already exists with the same partition count.</summary>
    /// <param name="name">Topic name.</param>
    /// <param name="partitions">Partition count.</param>
    /// <param name="replicationFactor">Replication factor (at most the broker count).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the topic exists.</returns>
    public async Task CreateTopicAsync(string name, int partitions, int replicationFactor = 1, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["name"] = name, ["partitions"] = partitions, ["replicationFactor"] = replicationFactor };
        using var _ = await SendAsync(HttpMethod.Post, "topics", body, cancellationToken);
    }

    /// <summary>Takes a broker down (<c>POST /brokers/{id}/down</c>).</summary>
    /// <param name="brokerId">Broker id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the broker is down.</returns>
    public async Task SetBrokerDownAsync(int brokerId, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Post, $"brokers/{Id(brokerId)}/down", null, cancellationToken);
    }

    /// <summary>Brings a broker back up (<c>POST /brokers/{id}/up</c>).</summary>
    /// <param name="brokerId">Broker id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the broker accepts connections again.</returns>
    public async Task SetBrokerUpAsync(int brokerId, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Post, $"brokers/{Id(brokerId)}/up", null, cancellationToken);
    }

    /// <summary>Delays a broker's responses (<c>POST /brokers/{id}/rtt</c>).</summary>
    /// <param name="brokerId">Broker id.</param>
    /// <param name="rtt">Added round-trip time, whole milliseconds.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the delay is in place.</returns>
    public async Task SetBrokerRttAsync(int brokerId, TimeSpan rtt, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["ms"] = (int)Math.Round(rtt.TotalMilliseconds) };
        using var _ = await SendAsync(HttpMethod.Post, $"brokers/{Id(brokerId)}/rtt", body, cancellationToken);
    }

    /// <summary>Moves a partition's leadership (<c>POST /partitions/{topic}/{partition}/leader</c>).</summary>
    /// <param name="topic">Topic name.</param>
    /// <param name="partition">Partition id.</param>
    /// <param name="brokerId">New leader's broker id, or -1 for leaderless.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the leader is set.</returns>
    public async Task SetPartitionLeaderAsync(string topic, int partition, int brokerId, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["brokerId"] = brokerId };
        using var _ = await SendAsync(HttpMethod.Post, $"partitions/{Uri.EscapeDataString(topic)}/{Id(partition)}/leader", body, cancellationToken);
    }

    /// <summary>
    /// Truncates a partition: deletes the records before <paramref name="beforeOffset"/>, which becomes the log
    /// start offset (<c>POST /partitions/{topic}/{partition}/delete-records</c>).
    /// </summary>
    /// <param name="topic">Topic name.</param>
    /// <param name="partition">Partition id.</param>
    /// <param name="beforeOffset">New log start offset, at most the end offset.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the records are deleted.</returns>
    public async Task DeleteRecordsAsync(string topic, int partition, long beforeOffset, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["beforeOffset"] = beforeOffset };
        using var _ = await SendAsync(HttpMethod.Post, $"partitions/{Uri.EscapeDataString(topic)}/{Id(partition)}/delete-records", body, cancellationToken);
    }

    /// <summary>
    /// Makes the next requests of type <paramref name="apiKey"/> fail with <paramref name="errors"/>, in order
    /// (<c>POST /faults/request-errors</c>); see <see cref="EmbeddedKafka.PushRequestErrors"/>.
    /// </summary>
    /// <param name="apiKey">Request type.</param>
    /// <param name="errors">Errors for the next requests, in order.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the errors are queued.</returns>
    public async Task PushRequestErrorsAsync(KafkaApiKey apiKey, IReadOnlyList<ErrorCode> errors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var body = new JsonObject
        {
            ["apiKey"] = apiKey.ToString(),
            ["errors"] = new JsonArray(errors.Select(e => (JsonNode?)(int)e).ToArray()),
        };
        using var _ = await SendAsync(HttpMethod.Post, "faults/request-errors", body, cancellationToken);
    }

    /// <summary>Drops queued errors for <paramref name="apiKey"/> (<c>DELETE /faults/request-errors/{apiKey}</c>).</summary>
    /// <param name="apiKey">Request type.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the errors are dropped.</returns>
    public async Task ClearRequestErrorsAsync(KafkaApiKey apiKey, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Delete, $"faults/request-errors/{apiKey}", null, cancellationToken);
    }

    /// <summary>Pins a group or transaction coordinator to a broker (<c>POST /coordinators</c>).</summary>
    /// <param name="keyType"><c>"group"</c> or <c>"transaction"</c>.</param>
    /// <param name="key">The group.id or transactional.id.</param>
    /// <param name="brokerId">Broker id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the coordinator is set.</returns>
    public async Task SetCoordinatorAsync(string keyType, string key, int brokerId, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["keyType"] = keyType, ["key"] = key, ["brokerId"] = brokerId };
        using var _ = await SendAsync(HttpMethod.Post, "coordinators", body, cancellationToken);
    }

    /// <summary>Disposes the underlying <see cref="HttpClient"/> if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttpClient)
        {
            _http.Dispose();
        }
    }

    private static string Id(int value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new EmbeddedKafkaControlException(response.StatusCode, ErrorText(text), $"{method} {path}");
        }

        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new EmbeddedKafkaControlException(response.StatusCode, $"response is not JSON: {ex.Message}", $"{method} {path}");
        }
    }

    private static string ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (JsonException)
        {
            // not JSON: use the raw text
        }

        return body.Length <= 500 ? body : body[..500] + "...";
    }
}

/// <summary>The control API of <c>actorstream kafka</c> answered with an error.</summary>
public sealed class EmbeddedKafkaControlException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status of the response.</param>
    /// <param name="error">The server's error text.</param>
    /// <param name="request">The request, e.g. <c>POST topics</c>.</param>
    public EmbeddedKafkaControlException(HttpStatusCode statusCode, string error, string request)
        : base($"{request} failed with {(int)statusCode} {statusCode}: {error}")
    {
        StatusCode = statusCode;
        Error = error;
    }

    /// <summary>The HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The server's error text.</summary>
    public string Error { get; }
}
