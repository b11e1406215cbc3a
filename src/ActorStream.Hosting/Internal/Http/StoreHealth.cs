using ActorStream.Persistence;

namespace ActorStream.Hosting.Internal.Http;

/// <summary>
/// Readiness of the entity store (journal and snapshot store): checked in the background every
/// few seconds, so a readiness probe never waits on the database.
/// </summary>
internal sealed class StoreHealth : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile string? _problem = "entity store not checked yet";

    public StoreHealth(ActorStreamPersistence persistence)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await persistence.VerifyStoresAsync(TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(30), _stop.Token);
                    _problem = null;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    _problem = $"entity store ({persistence.Settings.Provider.ToString().ToLowerInvariant()}) unreachable: {ex.GetBaseException().Message}";
                }

                try
                {
                    await Task.Delay(Interval, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>Null when the last check passed; otherwise what is wrong.</summary>
    public string? Problem => _problem;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ContinueWith(_ => { });
        _stop.Dispose();
    }
}
