using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// A commit failed for good: a non-retriable error, or retriable errors past the configured attempts.
/// The offsets stay uncommitted, so their records are delivered again (at-least-once, nothing lost).
/// </summary>
public sealed class KafkaCommitException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="offsets">Offsets that were not committed.</param>
    /// <param name="error">The broker or client error.</param>
    /// <param name="attempts">Attempts made.</param>
    /// <param name="inner">The client exception.</param>
    public KafkaCommitException(IReadOnlyList<TopicPartitionOffset> offsets, Error error, int attempts, Exception? inner = null)
        : base($"Commit of {string.Join(", ", offsets.Select(o => $"{o.Topic}[{o.Partition.Value}]@{o.Offset.Value}"))} failed after {attempts} attempt(s): {error.Code} ({error.Reason})", inner)
    {
        Offsets = offsets;
        Error = error;
        Attempts = attempts;
    }

    /// <summary>Offsets that were not committed.</summary>
    public IReadOnlyList<TopicPartitionOffset> Offsets { get; }

    /// <summary>The last error.</summary>
    public Error Error { get; }

    /// <summary>Attempts made.</summary>
    public int Attempts { get; }
}
