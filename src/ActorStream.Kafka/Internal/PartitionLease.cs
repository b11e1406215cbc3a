using System.Collections.Concurrent;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// One partition as long as it is assigned to a consumer (one generation of it): the buffer of
/// fetched records between the consumer thread and the stream, and the gates that keep records
/// of a revoked partition from being emitted and its offsets from being committed.
/// </summary>
/// <remarks>
/// Threads: the consumer thread enqueues and closes; one stream stage dequeues. Emission happens
/// under <see cref="EmitLock"/> so that once <see cref="CloseEmission"/> returned, no record of
/// this lease can be pushed any more.
/// </remarks>
internal sealed class PartitionLease
{
    private readonly ConcurrentQueue<ConsumeResult<byte[], byte[]>> _queue = new();
    private int _count;
    private int _signalArmed = 1;
    private int _resumeRequested;
    private volatile bool _emissionClosed;
    private volatile bool _commitsClosed;
    private volatile bool _paused;
    private Action<PartitionLease>? _signal;

    public PartitionLease(TopicPartition partition, long assignmentEpoch, int generation)
    {
        Partition = partition;
        AssignmentEpoch = assignmentEpoch;
        Generation = generation;
    }

    public TopicPartition Partition { get; }

    /// <summary>Increases with every assignment of the partition to this consumer; commits must match it.</summary>
    public long AssignmentEpoch { get; }

    /// <summary>Increases when the partition's stream is restarted within one assignment.</summary>
    public int Generation { get; }

    public object EmitLock { get; } = new();

    public int Count => Volatile.Read(ref _count);

    public bool EmissionClosed => _emissionClosed;

    public bool CommitsClosed => _commitsClosed;

    /// <summary>Set by the consumer thread when it paused fetching for this partition.</summary>
    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Consumer thread: buffers a fetched record and wakes the attached stage if it was idle.</summary>
    public void Enqueue(ConsumeResult<byte[], byte[]> record)
    {
        _queue.Enqueue(record);
        Interlocked.Increment(ref _count);
        if (Interlocked.Exchange(ref _signalArmed, 0) == 1)
        {
            Volatile.Read(ref _signal)?.Invoke(this);
        }
    }

    /// <summary>Stage: attaches the wake-up callback and fires it once for anything already buffered.</summary>
    public void Attach(Action<PartitionLease> signal)
    {
        Volatile.Write(ref _signal, signal);
        Volatile.Write(ref _signalArmed, 0);
        signal(this);
    }

    /// <summary>Stage: takes the next record; the caller must hold <see cref="EmitLock"/> and check <see cref="EmissionClosed"/>.</summary>
    public bool TryTake(out ConsumeResult<byte[], byte[]> record)
    {
        if (_queue.TryDequeue(out record!))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Stage: found the buffer empty; asks to be woken by the next record. Returns true if a record
    /// arrived meanwhile (the caller then keeps draining instead of waiting).
    /// </summary>
    public bool RearmAndCheck()
    {
        Volatile.Write(ref _signalArmed, 1);
        if (!_queue.IsEmpty && Interlocked.Exchange(ref _signalArmed, 0) == 1)
        {
            return true;
        }

        return false;
    }

    /// <summary>Consumer thread: stops emission for good and wakes the stage so it can complete.</summary>
    public void CloseEmission()
    {
        lock (EmitLock)
        {
            _emissionClosed = true;
        }

        _queue.Clear();
        Interlocked.Exchange(ref _count, 0);
        Volatile.Read(ref _signal)?.Invoke(this);
    }

    /// <summary>Wakes the attached stage (e.g. so it notices the consumer stopped).</summary>
    public void Signal() => Volatile.Read(ref _signal)?.Invoke(this);

    /// <summary>Consumer thread, under the assignment lock: no offset of this lease is committed any more.</summary>
    public void CloseCommits() => _commitsClosed = true;

    /// <summary>Stage: true once per pause, when the buffer drained enough to resume fetching.</summary>
    public bool ShouldRequestResume(int resumeBelow) =>
        _paused && Count <= resumeBelow && Interlocked.Exchange(ref _resumeRequested, 1) == 0;

    /// <summary>Consumer thread: the resume request was handled.</summary>
    public void ResumeHandled() => Volatile.Write(ref _resumeRequested, 0);

    public override string ToString() => $"{Partition.Topic}[{Partition.Partition.Value}]#{AssignmentEpoch}.{Generation}";
}
