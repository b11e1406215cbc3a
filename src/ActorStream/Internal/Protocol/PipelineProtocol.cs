using Akka.Actor;
using ActorStream.Entities;

namespace ActorStream.Internal.Protocol;

/// <summary>Routes a message to the entity <see cref="EntityId"/> in shard <see cref="ShardId"/> (= the Kafka partition).</summary>
internal sealed record ShardEnvelope(string ShardId, string EntityId, object Message);

/// <summary>
/// Partition stage → entity host: handle this record, then acknowledge to <see cref="ReplyTo"/>.
/// <see cref="Previous"/> is the offset of the nearest earlier record of the same key and partition
/// that was not acknowledged when this was sent (-1: none): the host completes that one first, so
/// that a delivery lost on the way (a node crashed or froze) and re-sent later cannot be overtaken.
/// </summary>
internal sealed record DeliverRecord(string EntityId, KafkaRecord Record, object? Value, IActorRef ReplyTo, long Previous = -1);

/// <summary>How a record was completed.</summary>
internal enum AckOutcome
{
    Processed,
    DeadLettered,
    AlreadyDone,
}

/// <summary>Entity host or DLQ writer → partition stage: the record at <see cref="Offset"/> is done.</summary>
internal sealed record RecordAcked(int Partition, long Offset, AckOutcome Outcome);

/// <summary>Entity host → partition stage: supervision decided to stop on this record.</summary>
internal sealed record EntityHalted(KafkaRecord Record, string EntityId, Exception Error);

/// <summary>Where a record failed, for the dead-letter headers.</summary>
internal static class FailureStage
{
    public const string Deserialize = "deserialize";
    public const string Schema = "schema";
    public const string Handler = "handler";
    public const string Timeout = "timeout";
}

/// <summary>→ DLQ writer: write this record to the dead-letter topic, then tell <see cref="ReplyTo"/>.</summary>
internal sealed record WriteDeadLetter(
    KafkaRecord Record,
    string Stage,
    string EntityType,
    string EntityId,
    string ExceptionType,
    string ExceptionMessage,
    int Attempts,
    IActorRef ReplyTo);

/// <summary>DLQ writer → requester: the broker acknowledged the dead letter of <see cref="Record"/>.</summary>
internal sealed record DeadLetterWritten(KafkaRecord Record);

/// <summary>
/// Entity actor → its host (the sender of <see cref="ProcessRecord"/>): the record at <see cref="Offset"/>
/// is handled and its outputs are being written. From here on the wait is the output topic's, not the
/// handler's: ack-timeout no longer turns it into a failed attempt (the producer's own
/// message.timeout.ms bounds each try, and a failure that clears is retried by the host).
/// </summary>
internal sealed record OutputsInFlight(long Offset);

/// <summary>Entity host → itself: the backoff before redelivering <see cref="Offset"/> is over.</summary>
internal sealed record RetryRecord(long Offset);

/// <summary>Event-sourced entity → its host, just before it stops: its storage failed (retry with backoff, never dead-letter).</summary>
internal sealed record EntityStorageFailed(ActorStream.Entities.EntityStorageException Error);
