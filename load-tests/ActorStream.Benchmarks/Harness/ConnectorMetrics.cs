using System.Diagnostics.Metrics;

namespace ActorStream.Benchmarks.Harness;

/// <summary>
/// Listens to the connector's <c>actorstream.kafka.commit.requests</c> counter only (the per-record
/// counters stay without a listener, so measuring does not slow the hot path).
/// </summary>
public sealed class ConnectorMetrics : IDisposable
{
    private const string MeterName = "ActorStream.Kafka";
    private const string CommitRequestsInstrument = "actorstream.kafka.commit.requests";

    private readonly MeterListener _listener = new();
    private long _commitRequests;

    /// <summary>Starts listening.</summary>
    public ConnectorMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name == CommitRequestsInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _commitRequests, value));
        _listener.Start();
    }

    /// <summary>OffsetCommit requests the connector sent since this listener started.</summary>
    public long CommitRequests => Interlocked.Read(ref _commitRequests);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
