using System.Collections.Concurrent;
using Akka.Event;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Owns one Confluent consumer on a dedicated thread: polls, buffers records per partition
/// (<see cref="PartitionLease"/>), pauses partitions whose buffer is full, runs the rebalance
/// hand-over, and serves commits through a <see cref="CommitWorker"/> so that a slow commit never
/// blocks polling.
/// </summary>
internal sealed class ConsumerLoop : ICommitTarget
{
    private static int _instances;

    private readonly ConsumerLoopOptions _options;
    private bool _disposeSkipped;
    private readonly Dictionary<string, DateTime> _unavailableSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Confluent.Kafka.Error> _unavailableReason = new(StringComparer.Ordinal);
    private IAdminClient? _metadata;
    private DateTime _nextAvailabilityCheck;
    private readonly Subscription _subscription;
    private readonly ILoggingAdapter _log;
    private readonly EventStream? _events;
    private readonly IConsumerLoopListener _listener;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly ConcurrentDictionary<ICommitFlusher, byte> _flushers = new();
    private readonly Dictionary<TopicPartition, PartitionLease> _leases = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly CommitWorker _commits;
    private readonly int _resumeBelow;
    private IConsumer<byte[], byte[]>? _consumer;
    private long _epoch;
    private volatile bool _closeRequested;
    private volatile bool _emissionStopped;

    public ConsumerLoop(ConsumerLoopOptions options, Subscription subscription, ILoggingAdapter log, EventStream? events, IConsumerLoopListener listener)
    {
        _options = options;
        _subscription = subscription;
        _log = log;
        _events = events;
        _listener = listener;
        var n = Interlocked.Increment(ref _instances);
        ConsumerId = options.ClientConfig.TryGetValue("client.id", out var clientId) && !string.IsNullOrEmpty(clientId)
            ? $"{clientId}-{n}"
            : $"actorstream-consumer-{n}";
        _commits = new CommitWorker(this, options.CommitRetry, log);
        _resumeBelow = options.MaxBufferedPerPartition / 2;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-{ConsumerId}" };
    }

    public string ConsumerId { get; }

    public string GroupId => _options.GroupId;

    /// <summary>Guards the lease map against the commit worker; held while a commit is on the wire.</summary>
    internal object AssignmentLock { get; } = new();

    internal IConsumer<byte[], byte[]>? Consumer => _consumer;

    /// <summary>Completes when the consumer was closed and disposed.</summary>
    public Task Closed => _closed.Task;

    public void Start() => _thread.Start();

    /// <summary>Stops fetching (all partitions paused) but keeps the consumer for commits.</summary>
    public void StopEmission()
    {
        if (_emissionStopped)
        {
            return;
        }

        _emissionStopped = true;
        foreach (var lease in LeasesSnapshot())
        {
            lease.Signal();
        }

        Post(() =>
        {
            var tps = _leases.Values.Where(l => !l.Paused).ToList();
            if (tps.Count > 0 && _consumer is not null)
            {
                SafePause(tps);
            }
        });
    }

    /// <summary>True once the source was stopped: no more records are fetched or emitted.</summary>
    public bool EmissionStopped => _emissionStopped;

    private List<PartitionLease> LeasesSnapshot()
    {
        lock (AssignmentLock)
        {
            return _leases.Values.ToList();
        }
    }

    /// <summary>Asks the consumer thread to close the consumer (final revoke hand-over included).</summary>
    public Task CloseAsync()
    {
        _closeRequested = true;
        return _closed.Task;
    }

    /// <summary>Stage: a lease's buffer drained below the resume mark.</summary>
    public void RequestResume(PartitionLease lease) => Post(() =>
    {
        lease.ResumeHandled();
        ResumeNow(lease);
    });

    /// <summary>
    /// Stage: restart a partition's stream from its last committed offset, e.g. after its
    /// sub-source was cancelled. Emits a new lease for the same assignment.
    /// </summary>
    public void RestartPartition(PartitionLease lease) => Post(() =>
    {
        if (_consumer is null || !_leases.TryGetValue(lease.Partition, out var current) || !ReferenceEquals(current, lease))
        {
            return;
        }

        lease.CloseEmission();
        _listener.OnRevoked([lease]);
        var replacement = new PartitionLease(lease.Partition, lease.AssignmentEpoch, lease.Generation + 1);
        lock (AssignmentLock)
        {
            _leases[lease.Partition] = replacement;
        }

        try
        {
            var committed = _commits.LastCommitted(lease.Partition, lease.AssignmentEpoch)
                ?? _consumer.Committed([lease.Partition], _options.CloseTimeout).FirstOrDefault()?.Offset.Value
                ?? Offset.Unset.Value;
            var offset = committed >= 0 ? new Offset(committed) : StartOffsetWhenNoCommit();
            _consumer.Seek(new TopicPartitionOffset(lease.Partition, offset));
            if (lease.Paused && !_emissionStopped)
            {
                _consumer.Resume([lease.Partition]);
            }

            _log.Info("Consumer {0}: restarted {1} from offset {2}", ConsumerId, lease.Partition, offset);
        }
        catch (KafkaException ex)
        {
            _listener.OnFailed(new InvalidOperationException($"Restarting {lease.Partition} failed: {ex.Error.Reason}", ex));
            return;
        }

        _listener.OnAssigned([replacement]);
    });

    public Task CommitAsync(IReadOnlyCollection<PendingOffset> offsets, CancellationToken cancellationToken) =>
        _commits.Enqueue(offsets, cancellationToken);

    public void RegisterFlusher(ICommitFlusher flusher) => _flushers.TryAdd(flusher, 0);

    public void UnregisterFlusher(ICommitFlusher flusher) => _flushers.TryRemove(flusher, out _);

    /// <summary>Commit worker, under <see cref="AssignmentLock"/>: may this offset still be committed by us?</summary>
    internal bool IsCommittable(in PendingOffset offset) =>
        !_closeCompleted
        && _leases.TryGetValue(offset.Partition, out var lease)
        && lease.AssignmentEpoch == offset.AssignmentEpoch
        && !lease.CommitsClosed;

    private volatile bool _closeCompleted;

    private void Post(Action command) => _commands.Enqueue(command);

    private void Run()
    {
        try
        {
            _consumer = LibrdkafkaProperties.BuildClient(BuildConsumer, "actorstream.kafka.consumer.properties");
            _commits.Start();
            switch (_subscription)
            {
                case TopicSubscription topics:
                    _consumer.Subscribe(topics.Topics);
                    break;
                case AssignmentSubscription assignment:
                    AssignManually(assignment);
                    break;
            }

            while (!_closeRequested)
            {
                RunCommands();
                ConsumeResult<byte[], byte[]>? record;
                try
                {
                    record = _consumer.Consume(_options.PollTimeout);
                }
                catch (ConsumeException ex) when (ex.Error.Code == ErrorCode.Local_AutoOffsetReset)
                {
                    OnFetchOutOfRange(ex);
                    continue;
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    // Consumer-level errors surface here too (e.g. a subscribed topic that does not
                    // exist yet); they are conditions to report or wait out, not a reason to stop.
                    if (!TopicUnavailable(ex.Error, ex.ConsumerRecord?.Topic))
                    {
                        _log.Warning("Consumer {0}: {1}: {2}", ConsumerId, ex.Error.Code, ex.Error.Reason);
                    }

                    continue;
                }

                if (_unavailableSince.Count > 0)
                {
                    CheckUnavailableTopics();
                    FailIfUnavailableTooLong();
                }

                if (record is null || record.IsPartitionEOF)
                {
                    continue;
                }

                if (!_leases.TryGetValue(record.TopicPartition, out var lease) || lease.EmissionClosed)
                {
                    continue;
                }

                lease.Enqueue(record);
                KafkaMetrics.RecordsConsumed.Add(1);
                if (!lease.Paused && lease.Count >= _options.MaxBufferedPerPartition)
                {
                    SafePause([lease]);

                    // The stage may have drained the buffer before it could see the pause flag.
                    if (lease.Count <= _resumeBelow)
                    {
                        ResumeNow(lease);
                    }
                }
            }

            RunCommands();
            CloseConsumer();
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Consumer {0} (group {1}) failed: {2}", ConsumerId, GroupId, ex.Message);
            CloseAll(lost: true);
            _listener.OnFailed(ex);
        }
        finally
        {
            _closeCompleted = true;
            _commits.Stop();

            // A dependent client only borrows the consumer's handle; drop it before the handle goes.
            _metadata?.Dispose();
            _metadata = null;
            try
            {
                if (!_disposeSkipped)
                {
                    _consumer?.Dispose();
                }
            }
            catch (Exception ex)
            {
                _log.Warning("Consumer {0}: dispose failed: {1}", ConsumerId, ex.Message);
            }

            _listener.OnClosed();
            _closed.TrySetResult();
        }
    }

    private IConsumer<byte[], byte[]> BuildConsumer()
    {
        var config = new Dictionary<string, string>(_options.ClientConfig);
        config.TryAdd("client.id", ConsumerId);
        if (_options.OffsetOutOfRange != OffsetOutOfRangePolicy.Reset)
        {
            // Otherwise librdkafka resets a fetch position that fell out of range while consuming
            // silently; with error it reports Local_AutoOffsetReset and the policy decides
            // (OnFetchOutOfRange). Partitions without a committed offset are started explicitly at
            // the configured auto.offset.reset (StartOffsetWhenNoCommit), so they never hit it.
            config["auto.offset.reset"] = "error";
        }

        return new ConsumerBuilder<byte[], byte[]>(config)
            .SetPartitionsAssignedHandler((consumer, partitions) =>
            {
                var starts = StartOffsets(consumer, partitions);
                OnAssigned(partitions);
                return starts;
            })
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition).ToList()))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions.Select(p => p.TopicPartition).ToList()))
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    _log.Error("Consumer {0}: fatal error {1}: {2}", ConsumerId, error.Code, error.Reason);
                    _closeRequested = true;
                    _listener.OnFailed(new KafkaException(error));
                }
                else if (TopicUnavailable(error, topic: null))
                {
                    // Logged once per outage with what to check; fails the source past the timeout.
                }
                else
                {
                    _log.Warning("Consumer {0}: {1}: {2}", ConsumerId, error.Code, error.Reason);
                }
            })
            .SetLogHandler((_, message) =>
            {
                if (message.Level <= SyslogLevel.Warning)
                {
                    _log.Warning("librdkafka {0} {1}: {2}", message.Name, message.Facility, message.Message);
                }
                else if (_log.IsDebugEnabled)
                {
                    _log.Debug("librdkafka {0} {1}: {2}", message.Name, message.Facility, message.Message);
                }
            })
            .Build();
    }

    private void AssignManually(AssignmentSubscription assignment)
    {
        var leases = NewLeases(assignment.Partitions.Select(p => p.TopicPartition).ToList());
        _consumer!.Assign(assignment.Partitions);
        Announce(leases);
    }

    /// <summary>
    /// Unknown topic / no leader: librdkafka keeps refreshing metadata; we log the first occurrence
    /// with the check to make, publish <see cref="Messages.TopicUnavailable"/> (monitoring lists it
    /// as a diagnostic), and fail the source once it lasted unknown-topic-timeout.
    /// </summary>
    private bool TopicUnavailable(Confluent.Kafka.Error error, string? topic)
    {
        if (error.Code is not (ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.LeaderNotAvailable or ErrorCode.Local_UnknownPartition))
        {
            return false;
        }

        if (string.IsNullOrEmpty(topic))
        {
            var match = System.Text.RegularExpressions.Regex.Match(error.Reason, @"not available: ([A-Za-z0-9._-]+)");
            topic = match.Success ? match.Groups[1].Value : "(unnamed)";
        }

        var now = DateTime.UtcNow;
        if (_unavailableSince.TryAdd(topic, now))
        {
            _log.Warning("Consumer {0} (group {1}): topic '{2}' is unavailable ({3}); retrying{4}. Check that it exists and has a leader (`actorstream topics plan`).",
                ConsumerId, GroupId, topic, error.Reason,
                _options.UnknownTopicTimeout > TimeSpan.Zero ? $" for up to {_options.UnknownTopicTimeout}" : "");
            if (_options.PublishPartitionEvents)
            {
                _events?.Publish(new TopicUnavailable(ConsumerId, GroupId, topic, error.Code, error.Reason, new DateTimeOffset(now), _options.UnknownTopicTimeout));
            }

            // librdkafka reports a topic error once and says nothing when it clears: look again soon.
            _nextAvailabilityCheck = now + AvailabilityCheckInterval();
        }

        _unavailableReason[topic] = error;
        FailIfUnavailableTooLong();
        return true;
    }

    /// <summary>A topic that was unavailable is there again: forget it and announce it.</summary>
    private void TopicBack(string topic)
    {
        if (!_unavailableSince.Remove(topic, out var since))
        {
            return;
        }

        _unavailableReason.Remove(topic);
        var down = DateTime.UtcNow - since;
        _log.Info("Consumer {0} (group {1}): topic '{2}' is available again after {3}", ConsumerId, GroupId, topic, down);
        if (_options.PublishPartitionEvents)
        {
            _events?.Publish(new TopicAvailable(ConsumerId, GroupId, topic, down));
        }
    }

    private TimeSpan AvailabilityCheckInterval()
    {
        var tenth = _options.UnknownTopicTimeout / 10;
        return tenth < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : tenth > TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : tenth;
    }

    /// <summary>
    /// librdkafka does not report that a topic error cleared, and a topic that appears again is not
    /// necessarily assigned to this member (the group may give its partitions to others). So while
    /// topics are unavailable, the cluster's metadata is read now and then (on this thread, bounded)
    /// and topics that exist with a leader for every partition are cleared — before they would fail
    /// the source at unknown-topic-timeout.
    /// </summary>
    private void CheckUnavailableTopics()
    {
        var now = DateTime.UtcNow;
        if (now < _nextAvailabilityCheck || _consumer is null)
        {
            return;
        }

        _nextAvailabilityCheck = now + AvailabilityCheckInterval();
        Metadata metadata;
        try
        {
            _metadata ??= new DependentAdminClientBuilder(_consumer.Handle).Build();
            metadata = _metadata.GetMetadata(TimeSpan.FromSeconds(2));
        }
        catch (KafkaException ex)
        {
            _log.Debug("Consumer {0}: reading metadata for unavailable topics failed: {1}", ConsumerId, ex.Error.Reason);
            return;
        }

        foreach (var topic in _unavailableSince.Keys.ToList())
        {
            var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            if (found is not null && !found.Error.IsError && found.Partitions.Count > 0 && found.Partitions.All(p => p.Leader >= 0 && !p.Error.IsError))
            {
                TopicBack(topic);
            }
        }
    }

    private void FailIfUnavailableTooLong()
    {
        if (_options.UnknownTopicTimeout <= TimeSpan.Zero || _closeRequested)
        {
            return;
        }

        var now = DateTime.UtcNow;
        foreach (var (topic, since) in _unavailableSince)
        {
            if (now - since < _options.UnknownTopicTimeout)
            {
                continue;
            }

            var error = _unavailableReason[topic];
            _closeRequested = true;
            _listener.OnFailed(new KafkaException(new Confluent.Kafka.Error(error.Code,
                $"topic '{topic}' has been unavailable for {_options.UnknownTopicTimeout} ({error.Reason}): create it or fix the name (`actorstream topics plan` / `apply`), or check that its partitions have leaders")));
            return;
        }
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        foreach (var topic in partitions.Select(p => p.Topic).Distinct())
        {
            TopicBack(topic);
        }

        var leases = NewLeases(partitions);
        if (_emissionStopped)
        {
            // Paused after the assignment took effect (pausing unassigned partitions fails).
            Post(() => SafePause(leases.Where(l => !l.EmissionClosed).ToList()));
        }

        Announce(leases);
    }

    private List<PartitionLease> NewLeases(IReadOnlyList<TopicPartition> partitions)
    {
        var epoch = Interlocked.Increment(ref _epoch);
        var leases = partitions.Select(tp => new PartitionLease(tp, epoch, 0)).ToList();
        lock (AssignmentLock)
        {
            foreach (var lease in leases)
            {
                _leases[lease.Partition] = lease;
            }
        }

        return leases;
    }

    private void Announce(List<PartitionLease> leases)
    {
        var partitions = leases.Select(l => l.Partition).ToList();
        _log.Info("Consumer {0} (group {1}): assigned {2}", ConsumerId, GroupId, Describe(partitions));
        KafkaMetrics.PartitionEvents.Add(1, new KeyValuePair<string, object?>("event", "assigned"));
        _listener.OnAssigned(leases);
        Publish(new PartitionsAssigned(ConsumerId, GroupId, partitions));
        try
        {
            _options.Handler?.OnAssigned(partitions);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Consumer {0}: partition event handler failed on assignment", ConsumerId);
        }
    }

    /// <summary>
    /// Orderly revocation: stop emission, let the user drain, flush pending commits, then release.
    /// All steps share one deadline (revoke-timeout); past it, the partitions are released with
    /// what was committed so far, so the new owner re-reads the rest (at-least-once).
    /// </summary>
    private void OnRevoked(List<TopicPartition> partitions)
    {
        var deadline = DateTime.UtcNow + _options.RevokeTimeout;
        var leases = partitions.Select(tp => _leases.GetValueOrDefault(tp)).OfType<PartitionLease>().ToList();
        foreach (var lease in leases)
        {
            lease.CloseEmission();
        }

        _log.Info("Consumer {0} (group {1}): revoking {2}", ConsumerId, GroupId, Describe(partitions));
        KafkaMetrics.PartitionEvents.Add(1, new KeyValuePair<string, object?>("event", "revoked"));
        _listener.OnRevoked(leases);

        if (_options.Handler is { } handler)
        {
            WaitBounded(() => handler.OnRevokedAsync(partitions), deadline, "partition event handler (revoke)");
        }

        var flushers = _flushers.Keys.ToList();
        if (flushers.Count > 0)
        {
            WaitBounded(() => Task.WhenAll(flushers.Select(f => f.FlushAsync(partitions))), deadline, "commit flush (revoke)");
        }

        // The commit worker may hold the lock while a commit of these partitions is on the wire;
        // taking it here orders that commit before the release.
        lock (AssignmentLock)
        {
            foreach (var lease in leases)
            {
                lease.CloseCommits();
                _leases.Remove(lease.Partition);
            }
        }

        Publish(new PartitionsRevoked(ConsumerId, GroupId, partitions));
    }

    private void OnLost(List<TopicPartition> partitions)
    {
        var leases = partitions.Select(tp => _leases.GetValueOrDefault(tp)).OfType<PartitionLease>().ToList();
        foreach (var lease in leases)
        {
            lease.CloseEmission();
        }

        lock (AssignmentLock)
        {
            foreach (var lease in leases)
            {
                lease.CloseCommits();
                _leases.Remove(lease.Partition);
            }
        }

        _log.Warning("Consumer {0} (group {1}): lost {2}; their uncommitted records will be redelivered to the new owner", ConsumerId, GroupId, Describe(partitions));
        KafkaMetrics.PartitionEvents.Add(1, new KeyValuePair<string, object?>("event", "lost"));
        _listener.OnRevoked(leases);
        Publish(new PartitionsLost(ConsumerId, GroupId, partitions));
        try
        {
            _options.Handler?.OnLost(partitions);
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Consumer {0}: partition event handler failed on loss", ConsumerId);
        }
    }

    private void CloseConsumer()
    {
        if (_consumer is null)
        {
            return;
        }

        if (_subscription is AssignmentSubscription)
        {
            // No group protocol, so no revoke callback: hand over like a revocation ourselves.
            var partitions = _leases.Keys.ToList();
            if (partitions.Count > 0)
            {
                OnRevoked(partitions);
            }
        }

        // Close leaves the group; the revoke callback it triggers flushes pending commits.
        var close = Task.Run(() => _consumer.Close());
        if (!close.Wait(_options.CloseTimeout))
        {
            // Close runs the revoke hand-over (bounded by revoke-timeout). Destroying the handle while
            // it runs would crash the process in the rebalance callback, so wait for it once more.
            _log.Warning("Consumer {0}: close did not finish within {1}; waiting up to revoke-timeout {2} more", ConsumerId, _options.CloseTimeout, _options.RevokeTimeout);
            if (!close.Wait(_options.RevokeTimeout + TimeSpan.FromSeconds(5)))
            {
                _log.Error("Consumer {0}: close still running; the client is left to finish on its own (not disposed)", ConsumerId);
                _disposeSkipped = true;
            }
        }

        CloseAll(lost: false);
    }

    private void CloseAll(bool lost)
    {
        List<PartitionLease> remaining;
        lock (AssignmentLock)
        {
            remaining = _leases.Values.ToList();
            foreach (var lease in remaining)
            {
                lease.CloseCommits();
            }

            _leases.Clear();
        }

        foreach (var lease in remaining)
        {
            lease.CloseEmission();
        }

        if (remaining.Count > 0)
        {
            _listener.OnRevoked(remaining);
            if (lost)
            {
                Publish(new PartitionsLost(ConsumerId, GroupId, remaining.Select(l => l.Partition).ToList()));
            }
        }
    }

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command))
        {
            command();
        }
    }

    private void ResumeNow(PartitionLease lease)
    {
        if (_emissionStopped || lease.EmissionClosed || !lease.Paused || _consumer is null)
        {
            return;
        }

        if (_leases.TryGetValue(lease.Partition, out var current) && ReferenceEquals(current, lease))
        {
            try
            {
                _consumer.Resume([lease.Partition]);
                lease.Paused = false;
            }
            catch (KafkaException ex)
            {
                _log.Warning("Consumer {0}: resuming {1} failed: {2}", ConsumerId, lease, ex.Error.Reason);
            }
        }
    }

    private void SafePause(IReadOnlyList<PartitionLease> leases)
    {
        if (leases.Count == 0 || _consumer is null)
        {
            return;
        }

        // Marked before the call: a stage that drains the buffer meanwhile sees the flag and asks
        // for a resume, which runs on this thread after the pause.
        foreach (var lease in leases)
        {
            lease.Paused = true;
        }

        try
        {
            _consumer.Pause(leases.Select(l => l.Partition));
        }
        catch (KafkaException ex)
        {
            _log.Warning("Consumer {0}: pausing {1} failed: {2}", ConsumerId, string.Join(",", leases), ex.Error.Reason);
        }
    }

    private Offset StartOffsetWhenNoCommit()
    {
        var reset = _options.ClientConfig.GetValueOrDefault("auto.offset.reset", "latest").ToLowerInvariant();
        return reset is "earliest" or "smallest" or "beginning" ? Offset.Beginning : Offset.End;
    }

    private void WaitBounded(Func<Task> start, DateTime deadline, string what)
    {
        try
        {
            var remaining = deadline - DateTime.UtcNow;
            var task = start();
            if (remaining <= TimeSpan.Zero || !task.Wait(remaining))
            {
                _log.Warning("Consumer {0}: {1} did not finish within revoke-timeout {2}; releasing the partitions (uncommitted records will be redelivered)",
                    ConsumerId, what, _options.RevokeTimeout);
            }
        }
        catch (Exception ex)
        {
            _log.Warning("Consumer {0}: {1} failed: {2}", ConsumerId, what, ex.GetBaseException().Message);
        }
    }

    /// <summary>
    /// Where newly assigned partitions start. With an offset-out-of-range policy other than reset,
    /// a committed offset outside the partition's log is detected here (instead of librdkafka
    /// resetting it silently): the policy decides, and the skipped offsets are logged and published.
    /// </summary>
    private List<TopicPartitionOffset> StartOffsets(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
    {
        var unset = partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)).ToList();
        if (_options.OffsetOutOfRange == OffsetOutOfRangePolicy.Reset || partitions.Count == 0)
        {
            return unset;
        }

        List<TopicPartitionOffset> committed;
        try
        {
            committed = consumer.Committed(partitions, _options.CloseTimeout);
        }
        catch (KafkaException ex)
        {
            // Unset = librdkafka reads the committed offsets itself; an out-of-range one then comes
            // back as Local_AutoOffsetReset (auto.offset.reset = error) and OnFetchOutOfRange decides.
            _log.Warning("Consumer {0}: reading committed offsets of {1} failed ({2}); out-of-range offsets are detected at the first fetch instead",
                ConsumerId, Describe(partitions), ex.Error.Reason);
            return unset;
        }

        var starts = new List<TopicPartitionOffset>(partitions.Count);
        foreach (var entry in committed)
        {
            var at = entry.Offset.Value;
            if (at < 0)
            {
                // No committed offset: start where the configured auto.offset.reset says (librdkafka
                // would now raise an error instead, as auto.offset.reset = error for this consumer).
                starts.Add(new TopicPartitionOffset(entry.TopicPartition, StartOffsetWhenNoCommit()));
                continue;
            }

            WatermarkOffsets log;
            try
            {
                log = consumer.QueryWatermarkOffsets(entry.TopicPartition, _options.CloseTimeout);
            }
            catch (KafkaException)
            {
                // Checked at the first fetch instead (see above).
                starts.Add(new TopicPartitionOffset(entry.TopicPartition, new Offset(at)));
                continue;
            }

            var low = log.Low.Value;
            var high = log.High.Value;
            if (at >= low && at <= high)
            {
                starts.Add(new TopicPartitionOffset(entry.TopicPartition, new Offset(at)));
                continue;
            }

            var resumeAt = ApplyPolicy(entry.TopicPartition, at, low, high, OutOfRangeDetection.Assignment, _options.OffsetOutOfRange);
            starts.Add(new TopicPartitionOffset(entry.TopicPartition, resumeAt is { } start ? new Offset(start) : Offset.Unset));
        }

        return starts;
    }

    /// <summary>
    /// librdkafka's report (auto.offset.reset = error) that a partition's fetch position fell outside
    /// its log while the partition was being consumed — typically retention deleting records the
    /// consumer had not reached yet. The exception carries the partition and the fetch position. The
    /// same policy as at assignment decides. librdkafka leaves the partition in fetch state NONE,
    /// where Seek fails with Local_State (librdkafka #2961), so the partition is re-assigned at the
    /// chosen offset instead (<see cref="Reposition"/>); its lease and buffered records stay.
    /// </summary>
    private void OnFetchOutOfRange(ConsumeException ex)
    {
        var tpo = ex.ConsumerRecord?.TopicPartitionOffset;
        if (_consumer is null || tpo is null || string.IsNullOrEmpty(tpo.Topic)
            || !_leases.TryGetValue(tpo.TopicPartition, out var lease) || lease.EmissionClosed)
        {
            _log.Warning("Consumer {0}: {1} for a partition it no longer consumes ({2}); ignored", ConsumerId, ex.Error.Reason, tpo?.TopicPartition.ToString() ?? "none");
            return;
        }

        var tp = tpo.TopicPartition;
        var at = tpo.Offset.Value;
        if (at < 0)
        {
            // No committed offset (librdkafka looked it up itself, e.g. after reading it here failed).
            Reposition(lease, StartOffsetWhenNoCommit());
            return;
        }

        WatermarkOffsets log;
        try
        {
            log = _consumer.QueryWatermarkOffsets(tp, _options.CloseTimeout);
        }
        catch (KafkaException qex)
        {
            _log.Warning("Consumer {0}: {1} is out of range at {2}, but its log cannot be read ({3}); fetching at {2} again", ConsumerId, tp, at, qex.Error.Reason);
            Reposition(lease, new Offset(at));
            return;
        }

        var low = log.Low.Value;
        var high = log.High.Value;
        if (at >= low && at <= high)
        {
            // A passing answer (e.g. a new leader not yet at the old one's high watermark): plain
            // librdkafka would have reset the position here; fetch the same offset again instead.
            _log.Warning("Consumer {0}: {1} was reported out of range at {2}, but its log is [{3}, {4}); fetching at {2} again", ConsumerId, tp, at, low, high);
            Reposition(lease, new Offset(at));
            return;
        }

        if (at > high)
        {
            // The log end moved below what this stream already emitted: continuing in it would emit
            // offsets again or backwards, so fail; a restart starts from the committed offset.
            _log.Error("Consumer {0} (group {1}): the log of {2} ends at {3}, below the fetch position {4}; failing the source", ConsumerId, GroupId, tp, high, at);
            Fail(new OffsetOutOfRangeException(GroupId, tp, at, low, high, OutOfRangeDetection.Fetch));
            return;
        }

        // With policy reset librdkafka never reports this, unless the user set auto.offset.reset =
        // error themselves: they asked to be stopped, so fail.
        var policy = _options.OffsetOutOfRange == OffsetOutOfRangePolicy.Reset ? OffsetOutOfRangePolicy.Fail : _options.OffsetOutOfRange;
        if (ApplyPolicy(tp, at, low, high, OutOfRangeDetection.Fetch, policy) is { } resumeAt)
        {
            Reposition(lease, new Offset(resumeAt));
        }
    }

    /// <summary>
    /// Applies the policy to an offset outside [<paramref name="low"/>, <paramref name="high"/>):
    /// logs, counts and publishes the skip, and returns where to continue, or null after failing the
    /// source (policy fail).
    /// </summary>
    private long? ApplyPolicy(TopicPartition tp, long at, long low, long high, OutOfRangeDetection detectedAt, OffsetOutOfRangePolicy policy)
    {
        long? resumeAt = policy switch
        {
            OffsetOutOfRangePolicy.Earliest => low,
            OffsetOutOfRangePolicy.Latest => high,
            _ => null,
        };
        var skipped = resumeAt is { } r ? Math.Abs(r - at) : (at < low ? low - at : at - high);
        var what = detectedAt == OutOfRangeDetection.Fetch
            ? $"fetch position {at} of {tp} fell outside its log [{low}, {high}) while consuming (records deleted before the consumer reached them)"
            : $"committed offset {at} of {tp} is outside its log [{low}, {high})";
        _log.Error(
            $"Consumer {ConsumerId} (group {GroupId}): {what}; policy {policy.ToString().ToLowerInvariant()}: " +
            (resumeAt is { } resume ? $"continuing at {resume}, {skipped} offset(s) skipped and never processed" : "failing the source"));
        KafkaMetrics.OffsetsSkipped.Add(skipped, new KeyValuePair<string, object?>("group", GroupId), new KeyValuePair<string, object?>("topic", tp.Topic));
        if (_options.PublishPartitionEvents)
        {
            _events?.Publish(new OffsetsSkipped(ConsumerId, GroupId, tp, at, low, high, resumeAt, skipped, policy, detectedAt));
        }

        if (resumeAt is null)
        {
            Fail(new OffsetOutOfRangeException(GroupId, tp, at, low, high, detectedAt));
        }

        return resumeAt;
    }

    private void Fail(Exception error)
    {
        _closeRequested = true;
        _listener.OnFailed(error);
    }

    /// <summary>
    /// Restarts fetching a partition at <paramref name="offset"/> by re-assigning it (Seek does not
    /// work after Local_AutoOffsetReset). Incremental unassign/assign touches only this partition;
    /// with an eager assignment strategy only a full assign() is allowed, which is given every other
    /// partition's current position so nothing is fetched twice. The rebalance callbacks do not run
    /// for this, so the partition's lease (and the records it buffers) carries on.
    /// </summary>
    private void Reposition(PartitionLease lease, Offset offset)
    {
        var tp = lease.Partition;
        try
        {
            try
            {
                _consumer!.IncrementalUnassign([tp]);
                _consumer.IncrementalAssign([new TopicPartitionOffset(tp, offset)]);
            }
            catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_State)
            {
                var assignment = _leases.Keys
                    .Select(p => p.Equals(tp) ? new TopicPartitionOffset(tp, offset) : new TopicPartitionOffset(p, PositionOf(p)))
                    .ToList();
                _consumer!.Assign(assignment);
            }

            // A new assignment starts unpaused; keep partitions paused that were (full buffers, stopped emission).
            var paused = _leases.Values.Where(l => l.Paused || _emissionStopped).Select(l => l.Partition).ToList();
            if (paused.Count > 0)
            {
                _consumer!.Pause(paused);
            }

            _log.Info("Consumer {0}: {1} continues at offset {2}", ConsumerId, tp, offset);
        }
        catch (KafkaException ex)
        {
            Fail(new KafkaException(new Confluent.Kafka.Error(ex.Error.Code,
                $"restarting {tp} at offset {offset} after its fetch position fell out of range failed: {ex.Error.Reason}")));
        }
    }

    private Offset PositionOf(TopicPartition tp)
    {
        try
        {
            var position = _consumer!.Position(tp);
            return position.Value >= 0 ? position : Offset.Unset;
        }
        catch (KafkaException)
        {
            return Offset.Unset;
        }
    }

    private void Publish(PartitionEvent e)
    {
        if (_options.PublishPartitionEvents)
        {
            _events?.Publish(e);
        }
    }

    private static string Describe(IEnumerable<TopicPartition> partitions) =>
        string.Join(", ", partitions.GroupBy(p => p.Topic).Select(g => $"{g.Key}[{string.Join(",", g.Select(p => p.Partition.Value).Order())}]"));
}
