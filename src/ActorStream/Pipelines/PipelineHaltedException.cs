using ActorStream.Entities;

namespace ActorStream.Pipelines;

/// <summary>
/// A pipeline stopped because supervision decided <c>stop</c> for a record's failure. The record's
/// offset and everything after it stay uncommitted; fix the cause and restart to process it again.
/// </summary>
public sealed class PipelineHaltedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PipelineHaltedException(string pipeline, KafkaRecord record, string entityId, Exception error)
        : base($"Pipeline '{pipeline}' halted on {record} (entity '{entityId}'): {error.GetType().Name}: {error.Message}", error)
    {
        Pipeline = pipeline;
        Record = record;
        EntityId = entityId;
    }

    /// <summary>The pipeline's name.</summary>
    public string Pipeline { get; }

    /// <summary>The record the entity failed on.</summary>
    public KafkaRecord Record { get; }

    /// <summary>The entity that failed.</summary>
    public string EntityId { get; }
}
