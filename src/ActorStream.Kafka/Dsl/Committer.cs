using Akka;
using Akka.Streams.Dsl;
using ActorStream.Kafka.Internal;
using ActorStream.Kafka.Messages;
using ActorStream.Kafka.Settings;

namespace ActorStream.Kafka.Dsl;

/// <summary>
/// Batched offset commits. Put it after processing: an offset reaches the committer only once its
/// record was handled, so nothing is committed that was not processed (at-least-once).
/// </summary>
public static class Committer
{
    /// <summary>
    /// Commits in batches (<see cref="CommitterSettings.MaxBatch"/> offsets or
    /// <see cref="CommitterSettings.MaxInterval"/>, whichever comes first) and emits each batch
    /// after its commit (or at once with <see cref="CommitDelivery.SendAndForget"/>). With
    /// wait-for-ack a commit that fails for good fails the stream with a <see cref="KafkaCommitException"/>.
    /// </summary>
    public static Flow<ICommittable, CommittableOffsetBatch, NotUsed> Flow(CommitterSettings settings) =>
        Akka.Streams.Dsl.Flow.FromGraph(new CommitCollectorStage(settings))
            .SelectAsync(settings.Parallelism, batch => Commit(batch, settings.Delivery))
            .Named("KafkaCommitter");

    /// <summary>
    /// <see cref="Flow"/> ending in a sink. The task completes after the last batch was committed
    /// once upstream completed, so awaiting it (e.g. through
    /// <see cref="IConsumerControl.DrainAndShutdown{T}"/>) commits everything that was processed.
    /// </summary>
    public static Sink<ICommittable, Task<Done>> Sink(CommitterSettings settings) =>
        Flow(settings).ToMaterialized(Akka.Streams.Dsl.Sink.Ignore<CommittableOffsetBatch>(), Keep.Right);

    private static async Task<CommittableOffsetBatch> Commit(CommittableOffsetBatch batch, CommitDelivery delivery)
    {
        var commit = batch.CommitAsync();
        if (delivery == CommitDelivery.SendAndForget)
        {
            _ = commit.ContinueWith(t => CompleteWaiters(batch, t.Exception), TaskScheduler.Default);
            return batch;
        }

        try
        {
            await commit.ConfigureAwait(false);
            CompleteWaiters(batch, null);
            return batch;
        }
        catch (Exception ex)
        {
            CompleteWaiters(batch, ex);
            throw;
        }
    }

    private static void CompleteWaiters(CommittableOffsetBatch batch, Exception? error)
    {
        if (batch.FlushWaiters is not { } waiters)
        {
            return;
        }

        foreach (var waiter in waiters)
        {
            if (error is null)
            {
                waiter.TrySetResult();
            }
            else
            {
                waiter.TrySetException(error);
            }
        }
    }
}
