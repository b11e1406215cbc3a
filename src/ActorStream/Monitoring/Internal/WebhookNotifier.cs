using System.Net.Http.Json;
using System.Text.Json;
using Akka.Event;

namespace ActorStream.Monitoring.Internal;

/// <summary>POSTs alert changes to the configured webhooks, retrying with exponential backoff.</summary>
internal sealed class WebhookNotifier
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly MonitoringSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public WebhookNotifier(MonitoringSettings settings, ILoggingAdapter log)
    {
        _settings = settings;
        _log = log;
    }

    /// <summary>Delivers in the background; failures are logged, never thrown.</summary>
    public void Notify(string state, Alert alert)
    {
        foreach (var url in _settings.Webhooks)
        {
            _ = DeliverAsync(url, new { state, alert });
        }
    }

    private async Task DeliverAsync(Uri url, object body)
    {
        var backoff = _settings.WebhookMinBackoff;
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            try
            {
                using var response = await _http.PostAsJsonAsync(url, body, Json).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                problem = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                problem = ex.GetBaseException().Message;
            }

            // The URL may carry a token in its query: log scheme, host and path only.
            var where = url.GetLeftPart(UriPartial.Path);
            if (attempt >= _settings.WebhookMaxAttempts)
            {
                _log.Warning("Alert webhook {0} failed {1} time(s), giving up: {2}", where, attempt, problem);
                return;
            }

            _log.Info("Alert webhook {0} failed ({1}); retry {2} in {3}", where, problem, attempt + 1, backoff);
            await Task.Delay(backoff).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _settings.WebhookMaxBackoff.Ticks));
        }
    }
}
