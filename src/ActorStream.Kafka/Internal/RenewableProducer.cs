using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// A byte-level producer that is replaced when it hits a fatal error. An idempotent producer that
/// librdkafka declares fatal (OUT_OF_ORDER_SEQUENCE_NUMBER on its head-of-line request, a fenced or
/// unknown producer id it cannot recover from) refuses every later record, so without a new client
/// nothing would be written again until the process restarts. Users take the <see cref="Current"/>
/// generation, produce on its client, and hand a failure to <see cref="IsFatal"/>: records of a
/// replaced generation that were not acknowledged are failed by it and must be sent again through
/// the new one (they are never reported delivered). The old client is flushed (in-flight requests
/// get their delivery reports) and disposed off the caller's thread. Thread-safe.
/// </summary>
internal sealed class RenewableProducer : IDisposable
{
    private static readonly TimeSpan MaxRetireWait = TimeSpan.FromMinutes(10);

    private readonly Func<Action<Error>, IProducer<byte[], byte[]>> _factory;
    private readonly TimeSpan _closeTimeout;
    private readonly Action<Error>? _onRenewed;
    private readonly object _gate = new();
    private Generation? _current;
    private int _generations;
    private bool _disposed;

    /// <param name="factory">Builds a client; the argument is its error handler (it must be installed with SetErrorHandler).</param>
    /// <param name="closeTimeout">Upper bound for flushing a client being replaced or disposed.</param>
    /// <param name="onRenewed">Told (on a client thread) when a fatal error retired a client, e.g. to log it.</param>
    public RenewableProducer(Func<Action<Error>, IProducer<byte[], byte[]>> factory, TimeSpan closeTimeout, Action<Error>? onRenewed = null)
    {
        _factory = factory;
        _closeTimeout = closeTimeout;
        _onRenewed = onRenewed;
    }

    /// <summary>How many clients were retired after a fatal error.</summary>
    public int Renewals { get; private set; }

    /// <summary>The client to produce on now (created on first use, and again after a fatal error).</summary>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public Generation Current
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_current is null)
                {
                    var generation = new Generation(++_generations);
                    generation.Producer = _factory(error =>
                    {
                        if (error.IsFatal)
                        {
                            generation.FatalError = error;
                            Renew(generation);
                        }
                    });
                    _current = generation;
                }

                return _current;
            }
        }
    }

    /// <summary>
    /// True when <paramref name="error"/>, seen on a record produced through <paramref name="generation"/>,
    /// means that client is dead (it raised a fatal error, or the error is one); the generation is then
    /// replaced, and the record must be sent again through <see cref="Current"/>.
    /// </summary>
    public bool IsFatal(Generation generation, Exception? error)
    {
        // A retired client fails what it still had (purged, or refused after its fatal error): all of
        // that is to be sent again, whatever the error says.
        var fatal = generation.Retired || generation.FatalError is not null
            || error is KafkaException { Error.IsFatal: true } or KafkaException { Error.Code: ErrorCode.Local_Fatal };
        if (fatal)
        {
            Renew(generation);
        }

        return fatal;
    }

    /// <summary>Flushes and disposes the current client.</summary>
    public void Dispose() => Close();

    /// <summary>Flushes the current client for up to the close timeout and disposes it.</summary>
    /// <returns>How many records were still undelivered when it was disposed (never reported delivered).</returns>
    public int Close()
    {
        Generation? last;
        lock (_gate)
        {
            if (_disposed)
            {
                return 0;
            }

            _disposed = true;
            last = _current;
            _current = null;
        }

        // Closing: what is not delivered within close-timeout stays undelivered (never reported delivered).
        return last is null ? 0 : Retire(last.Producer, _closeTimeout);
    }

    private void Renew(Generation generation)
    {
        lock (_gate)
        {
            if (generation.Retired)
            {
                return;
            }

            generation.Retired = true;
            if (ReferenceEquals(_current, generation))
            {
                _current = null;
            }

            Renewals++;
        }

        KafkaMetrics.ProducersRenewed.Add(1);
        _onRenewed?.Invoke(generation.FatalError ?? new Error(ErrorCode.Local_Fatal, "fatal producer error"));

        // Never on the client's own thread (the error handler runs there): destroying a client from
        // one of its threads deadlocks librdkafka.
        _ = Task.Run(() => Retire(generation.Producer, MaxRetireWait));
    }

    private int Retire(IProducer<byte[], byte[]> producer, TimeSpan bound)
    {
        // Every record gets its delivery report within message.timeout.ms (librdkafka's promise; a
        // fatal client also fails its queue at once). Disposing earlier would leave callers waiting
        // for reports a destroyed client never sends, so wait for them, within a generous bound.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var left = 0;
        try
        {
            while ((left = producer.Flush(_closeTimeout)) > 0 && waited.Elapsed < bound)
            {
            }
        }
        catch (Exception ex) when (ex is KafkaException or ObjectDisposedException or InvalidOperationException)
        {
            // Flushing a dead client may fail; disposing it is what matters.
        }
        finally
        {
            producer.Dispose();
        }

        return left;
    }

    /// <summary>One client of the producer's life.</summary>
    internal sealed class Generation
    {
        public Generation(int number) => Number = number;

        /// <summary>1 for the first client, then one more per replacement.</summary>
        public int Number { get; }

        public IProducer<byte[], byte[]> Producer { get; set; } = null!;

        /// <summary>The fatal error the client raised, if it did.</summary>
        public Error? FatalError { get; set; }

        private volatile bool _retired;

        /// <summary>Replaced: nothing new is produced on it (read without the lock by producing threads).</summary>
        public bool Retired
        {
            get => _retired;
            set => _retired = value;
        }
    }
}
