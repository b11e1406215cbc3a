namespace ActorStream.Internal.Offsets;

/// <summary>
/// The offsets of one Kafka partition that were handed to entities and not yet acknowledged, and from them the
/// position that is safe to commit: the lowest offset not yet acknowledged (or one past the last registered
/// offset when everything was acknowledged). Committing it means "resume from the first unacknowledged record",
/// so a record is never skipped, whatever order the acknowledgements arrive in.
/// </summary>
/// <remarks>
/// <para><b>Not thread-safe.</b> A tracker is owned by the stream stage of one partition and is only called from
/// that stage's callbacks (acknowledgements from entities reach the stage as messages / async callbacks, never
/// call the tracker directly).</para>
/// <para>Layout: a ring buffer of entries (offset, registration time, acknowledged) from the lowest pending offset
/// up to the last registered one. Acknowledged entries stay in it until every offset before them is acknowledged,
/// then the acknowledged prefix is popped. Register is O(1) amortized (the buffer doubles when full); popping is
/// O(1) amortized; finding the entry of an acknowledged offset is O(1) while the offsets in the buffer are
/// contiguous (the usual case) and a binary search, O(log n), once the buffer holds gaps (compacted topics,
/// transaction markers). Memory is proportional to <see cref="Tracked"/>.</para>
/// <para>Bounds are the caller's business: <see cref="InFlight"/> counts the pending records, <see cref="Tracked"/>
/// counts every record from the commit position on (what would be redelivered after a crash, and what the memory
/// grows with while one record is stuck at the head).</para>
/// </remarks>
internal sealed class PartitionOffsetTracker
{
    private const int DefaultInitialCapacity = 64;

    private readonly TimeProvider _time;
    private readonly int _initialCapacity;
    private Entry[] _entries;
    private int _mask;
    private int _head;
    private int _count;
    private int _pending;
    private bool _anyRegistered;
    private long _lastRegistered;
    private long _lastTaken;

    /// <summary>Creates an empty tracker.</summary>
    /// <param name="timeProvider">Clock for registration times (tests pass a manual one); default <see cref="TimeProvider.System"/>.</param>
    /// <param name="initialCapacity">Initial size of the ring buffer (rounded up to a power of two); it grows as needed.</param>
    public PartitionOffsetTracker(TimeProvider? timeProvider = null, int initialCapacity = DefaultInitialCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, 1);
        _time = timeProvider ?? TimeProvider.System;
        _initialCapacity = RoundUpToPowerOfTwo(initialCapacity);
        _entries = new Entry[_initialCapacity];
        _mask = _entries.Length - 1;
    }

    /// <summary>Number of registered offsets not yet acknowledged.</summary>
    public int InFlight => _pending;

    /// <summary>
    /// Number of registered offsets from the lowest pending one to the last registered one, acknowledged or not
    /// (0 when nothing is pending). These are the records a restart would deliver again; memory grows with it.
    /// </summary>
    public int Tracked => _count;

    /// <summary>The lowest offset not yet acknowledged, or null when nothing is pending.</summary>
    public long? OldestPending => _count == 0 ? null : _entries[_head].Offset;

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> value at which <see cref="OldestPending"/> was registered, or
    /// null when nothing is pending.
    /// </summary>
    public long? OldestPendingTimestamp => _count == 0 ? null : _entries[_head].RegisteredAt;

    /// <summary>How long <see cref="OldestPending"/> has been pending (stuck-key and ack-timeout detection), or null.</summary>
    public TimeSpan? OldestPendingAge => _count == 0 ? null : _time.GetElapsedTime(_entries[_head].RegisteredAt);

    /// <summary>The last registered offset, or null if nothing was registered since creation or <see cref="Reset"/>.</summary>
    public long? LastRegistered => _anyRegistered ? _lastRegistered : null;

    /// <summary>
    /// The Kafka commit position (the next offset to read) that is safe to commit: the lowest pending offset, or
    /// one past the last registered offset when nothing is pending; null if nothing was registered. It never passes
    /// an unacknowledged offset and never moves backwards (until <see cref="Reset"/>).
    /// </summary>
    public long? CommittableOffset
    {
        get
        {
            if (_count > 0)
            {
                return _entries[_head].Offset;
            }

            return _anyRegistered ? _lastRegistered + 1 : null;
        }
    }

    /// <summary>
    /// Registers an offset handed to an entity. Offsets must be registered in strictly increasing order; gaps are
    /// allowed (compacted topics, transaction markers).
    /// </summary>
    /// <param name="offset">The record's offset, 0 or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">The offset is negative or <see cref="long.MaxValue"/>.</exception>
    /// <exception cref="InvalidOperationException">The offset is not greater than the last registered offset.</exception>
    public void Register(long offset)
    {
        if (offset < 0 || offset == long.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(offset), offset, "A Kafka offset must be between 0 and long.MaxValue - 1.");
        }

        if (_anyRegistered && offset <= _lastRegistered)
        {
            throw new InvalidOperationException(
                $"Offset {offset} registered after offset {_lastRegistered}: "
                + "offsets of a partition must be registered in strictly increasing order.");
        }

        if (!_anyRegistered)
        {
            // The first registered offset is where consumption started: committing it would be no progress.
            _lastTaken = offset;
            _anyRegistered = true;
        }

        if (_count == _entries.Length)
        {
            Grow();
        }

        _entries[(_head + _count) & _mask] = new Entry(offset, _time.GetTimestamp());
        _count++;
        _pending++;
        _lastRegistered = offset;
    }

    /// <summary>
    /// Acknowledges an offset (its record was processed, or dead-lettered). Acknowledgements may come in any order.
    /// </summary>
    /// <param name="offset">The acknowledged offset.</param>
    /// <returns>
    /// True if the offset was registered and pending; false if it is unknown or was already acknowledged (duplicate
    /// acknowledgements, e.g. after a redelivery, are harmless).
    /// </returns>
    public bool Ack(long offset)
    {
        if (_count == 0)
        {
            return false;
        }

        var headOffset = _entries[_head].Offset;
        if (offset < headOffset || offset > _lastRegistered)
        {
            return false;
        }

        var index = IndexOf(offset, headOffset);
        if (index < 0)
        {
            return false;
        }

        ref var entry = ref _entries[(_head + index) & _mask];
        if (entry.Acked)
        {
            return false;
        }

        entry.Acked = true;
        _pending--;
        if (index == 0)
        {
            PopAckedPrefix();
        }

        return true;
    }

    /// <summary>
    /// Takes the commit position if it advanced since the last successful take (or, the first time, past the
    /// first registered offset), so the stage commits only on progress.
    /// </summary>
    /// <param name="offset">The position to commit, when the result is true.</param>
    /// <returns>True if there is a new position to commit.</returns>
    public bool TryTakeCommit(out long offset)
    {
        if (CommittableOffset is { } committable && committable > _lastTaken)
        {
            _lastTaken = committable;
            offset = committable;
            return true;
        }

        offset = 0;
        return false;
    }

    /// <summary>
    /// Forgets everything, as if newly created: for a partition that was revoked or whose stream restarts (its
    /// pending records will be delivered again from the committed position, which may be lower than offsets
    /// registered before).
    /// </summary>
    public void Reset()
    {
        if (_entries.Length > _initialCapacity)
        {
            _entries = new Entry[_initialCapacity];
            _mask = _entries.Length - 1;
        }

        _head = 0;
        _count = 0;
        _pending = 0;
        _anyRegistered = false;
        _lastRegistered = 0;
        _lastTaken = 0;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"PartitionOffsetTracker(committable={CommittableOffset?.ToString() ?? "none"}, inFlight={_pending}, "
        + $"tracked={_count}, oldestPending={OldestPending?.ToString() ?? "none"}, lastRegistered={LastRegistered?.ToString() ?? "none"})";

    private static int RoundUpToPowerOfTwo(int value)
    {
        var result = 1;
        while (result < value)
        {
            result <<= 1;
        }

        return result;
    }

    /// <summary>Index (from the head) of the entry holding <paramref name="offset"/>, or -1.</summary>
    private int IndexOf(long offset, long headOffset)
    {
        // Offsets strictly increase, so the entry at index i holds an offset >= headOffset + i: the wanted
        // entry is at index (offset - headOffset) if there are no gaps, or before it. (Ack checked that
        // offset <= last registered, so the candidate never holds a lower offset.)
        var distance = offset - headOffset;
        var high = distance < _count ? (int)distance : _count - 1;
        var candidate = _entries[(_head + high) & _mask].Offset;
        if (candidate == offset)
        {
            return high;
        }

        var low = 0;
        high--;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var value = _entries[(_head + middle) & _mask].Offset;
            if (value == offset)
            {
                return middle;
            }

            if (value < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private void PopAckedPrefix()
    {
        while (_count > 0 && _entries[_head].Acked)
        {
            _head = (_head + 1) & _mask;
            _count--;
        }

        if (_count == 0)
        {
            _head = 0;
        }
    }

    private void Grow()
    {
        var grown = new Entry[_entries.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            grown[i] = _entries[(_head + i) & _mask];
        }

        _entries = grown;
        _mask = grown.Length - 1;
        _head = 0;
    }

    private struct Entry
    {
        public readonly long Offset;
        public readonly long RegisteredAt;
        public bool Acked;

        public Entry(long offset, long registeredAt)
        {
            Offset = offset;
            RegisteredAt = registeredAt;
            Acked = false;
        }
    }
}
