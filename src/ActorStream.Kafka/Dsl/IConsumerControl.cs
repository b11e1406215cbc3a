namespace ActorStream.Kafka.Dsl;

/// <summary>
/// Materialized value of every Kafka source: lets the application stop the source and close the
/// consumer in the order at-least-once delivery needs (stop emitting, let in-flight records be
/// processed and committed, then close).
/// </summary>
public interface IConsumerControl
{
    /// <summary>Identifies the consumer (from <c>client.id</c>) in logs, metrics and partition events.</summary>
    string ConsumerId { get; }

    /// <summary>
    /// Stops emitting: the source (and every partition sub-source) completes. The consumer stays
    /// alive so that offsets of records still in flight can be committed. Completes when the source
    /// stage has stopped.
    /// </summary>
    Task Stop();

    /// <summary>
    /// Stops emitting and closes the consumer (leaving the group after the revoke hand-over).
    /// Completes when the consumer is closed.
    /// </summary>
    Task Shutdown();

    /// <summary>
    /// The safe way to end a committing stream: <see cref="Stop"/>, wait for
    /// <paramref name="streamCompletion"/> (the committer sink's task, so the last batch gets
    /// committed), then <see cref="Shutdown"/>. Returns the stream's result; a stream failure is
    /// rethrown after the consumer was closed.
    /// </summary>
    Task<T> DrainAndShutdown<T>(Task<T> streamCompletion);

    /// <summary>Completes when the consumer has been closed.</summary>
    Task IsShutdown { get; }
}
