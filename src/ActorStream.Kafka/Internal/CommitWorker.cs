using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Event;
using Error = Confluent.Kafka.Error;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;
using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>
/// Sends commits for one consumer on a thread of its own: the Confluent client only offers a
/// synchronous commit, and running it on the poll thread would stall fetching (and heartbeats of
/// max.poll.interval.ms) for a broker round trip. Requests queued while a commit is on the wire are
/// merged into the next one. Only offsets of partitions still assigned under the same assignment
/// are sent; the lease lock is held while a commit is on the wire so a revocation waits for it.
/// </summary>
internal sealed class CommitWorker
{
    private static readonly HashSet<ErrorCode> Retriable =
    [
        ErrorCode.Local_TimedOut, ErrorCode.Local_Transport, ErrorCode.Local_AllBrokersDown, ErrorCode.Local_WaitCoord,
        ErrorCode.Local_TimedOutQueue, ErrorCode.RequestTimedOut, ErrorCode.NetworkException, ErrorCode.GroupLoadInProgress,
        ErrorCode.GroupCoordinatorNotAvailable, ErrorCode.NotCoordinatorForGroup,

        // A rebalance is running (cooperative rebalancing keeps partitions while the generation
        // changes). Retrying is safe: before each attempt the offsets are filtered against the
        // assignment again, so partitions that moved away are dropped instead of committed.
        ErrorCode.RebalanceInProgress, ErrorCode.IllegalGeneration, ErrorCode.UnknownMemberId,
    ];

    private readonly ConsumerLoop _loop;
    private readonly CommitRetrySettings _retry;
    private readonly ILoggingAdapter _log;
    private readonly BlockingCollection<Request> _queue = new();
    private readonly Dictionary<TopicPartition, (long Epoch, long Offset)> _committed = new();
    private readonly Thread _thread;

    public CommitWorker(ConsumerLoop loop, CommitRetrySettings retry, ILoggingAdapter log)
    {
        _loop = loop;
        _retry = retry;
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kafka-commit-{loop.ConsumerId}" };
    }

    public void Start() => _thread.Start();

    public void Stop()
    {
        _queue.CompleteAdding();
        if (Thread.CurrentThread != _thread && _thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(30));
        }

        // Anything left could not be committed by this consumer any more.
        while (_queue.TryTake(out var left))
        {
            Skip(left);
        }
    }

    public Task Enqueue(IReadOnlyCollection<PendingOffset> offsets, CancellationToken cancellationToken)
    {
        var request = new Request(offsets, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        try
        {
            _queue.Add(request, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            Skip(request);
        }

        return request.Completion.Task;
    }

    /// <summary>Last offset this worker committed for a partition in the given assignment, if any.</summary>
    public long? LastCommitted(TopicPartition partition, long epoch)
    {
        lock (_loop.AssignmentLock)
        {
            return _committed.TryGetValue(partition, out var c) && c.Epoch == epoch ? c.Offset : null;
        }
    }

    private void Run()
    {
        try
        {
            foreach (var first in _queue.GetConsumingEnumerable())
            {
                var batch = new List<Request> { first };
                while (_queue.TryTake(out var more))
                {
                    batch.Add(more);
                }

                Execute(batch);
            }
        }
        catch (Exception ex)
        {
            _log.Error(ex, "Commit worker of consumer {0} failed", _loop.ConsumerId);
        }
    }

    private void Execute(List<Request> requests)
    {
        var live = requests.Where(r => !r.Cancellation.IsCancellationRequested).ToList();
        foreach (var cancelled in requests.Except(live))
        {
            cancelled.Completion.TrySetCanceled(cancelled.Cancellation);
        }

        if (live.Count == 0)
        {
            return;
        }

        var merged = new Dictionary<TopicPartition, PendingOffset>();
        foreach (var offset in live.SelectMany(r => r.Offsets))
        {
            if (!merged.TryGetValue(offset.Partition, out var existing)
                || offset.AssignmentEpoch > existing.AssignmentEpoch
                || (offset.AssignmentEpoch == existing.AssignmentEpoch && offset.NextOffset > existing.NextOffset))
            {
                merged[offset.Partition] = offset;
            }
        }

        Exception? failure = null;
        lock (_loop.AssignmentLock)
        {
            for (var attempt = 1; ; attempt++)
            {
                var toSend = new List<TopicPartitionOffset>();
                foreach (var offset in merged.Values)
                {
                    if (!_loop.IsCommittable(offset))
                    {
                        KafkaMetrics.CommitsSkippedUnassigned.Add(1);
                        continue;
                    }

                    if (_committed.TryGetValue(offset.Partition, out var done) && done.Epoch == offset.AssignmentEpoch && done.Offset >= offset.NextOffset)
                    {
                        continue; // already committed at or past this offset
                    }

                    toSend.Add(new TopicPartitionOffset(offset.Partition, new Offset(offset.NextOffset)));
                }

                if (toSend.Count == 0 || _loop.Consumer is not { } consumer)
                {
                    break;
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    KafkaMetrics.CommitRequests.Add(1);
                    consumer.Commit(toSend);
                    KafkaMetrics.CommitLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    foreach (var tpo in toSend)
                    {
                        _committed[tpo.TopicPartition] = (merged[tpo.TopicPartition].AssignmentEpoch, tpo.Offset.Value);
                    }

                    break;
                }
                catch (KafkaException ex)
                {
                    KafkaMetrics.CommitFailures.Add(1);
                    var error = FirstError(ex);
                    if (error.Code == ErrorCode.Local_NoOffset)
                    {
                        break;
                    }

                    if (!Retriable.Contains(error.Code) || attempt >= _retry.MaxAttempts)
                    {
                        _log.Warning("Consumer {0}: commit of {1} failed after {2} attempt(s): {3} {4}",
                            _loop.ConsumerId, Describe(toSend), attempt, error.Code, error.Reason);
                        failure = new KafkaCommitException(toSend, error, attempt, ex);
                        break;
                    }

                    var backoff = _retry.BackoffFor(attempt + 1);
                    _log.Info("Consumer {0}: commit attempt {1} failed with {2}; retrying in {3}", _loop.ConsumerId, attempt, error.Code, backoff);

                    // Waiting on the lock releases it, so a revocation can proceed meanwhile; the
                    // offsets are re-filtered against the assignment after the wait.
                    Monitor.Wait(_loop.AssignmentLock, backoff);
                }
            }
        }

        foreach (var request in live)
        {
            if (failure is null)
            {
                request.Completion.TrySetResult();
            }
            else
            {
                request.Completion.TrySetException(failure);
            }
        }
    }

    private static Error FirstError(KafkaException ex)
    {
        if (ex is TopicPartitionOffsetException tpoe)
        {
            var partitionError = tpoe.Results.Select(r => r.Error).FirstOrDefault(e => e.IsError);
            if (partitionError is not null)
            {
                return partitionError;
            }
        }

        return ex.Error;
    }

    private static void Skip(Request request)
    {
        KafkaMetrics.CommitsSkippedUnassigned.Add(request.Offsets.Count);
        request.Completion.TrySetResult();
    }

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) =>
        string.Join(", ", offsets.Select(o => $"{o.Topic}[{o.Partition.Value}]@{o.Offset.Value}"));

    private sealed record Request(IReadOnlyCollection<PendingOffset> Offsets, TaskCompletionSource Completion, CancellationToken Cancellation);
}
