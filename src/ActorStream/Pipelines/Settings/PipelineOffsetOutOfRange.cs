namespace ActorStream.Pipelines.Settings;

/// <summary>
/// A pipeline's choice for an offset outside its partition's log (config
/// <c>offset-out-of-range</c>): the group's committed offset when a partition is assigned, or the
/// consumer's fetch position while it reads — records deleted (retention) before they were processed.
/// See <see cref="PipelineSettings.EffectiveOffsetOutOfRange"/> for what <see cref="Default"/> means.
/// </summary>
public enum PipelineOffsetOutOfRange
{
    /// <summary><see cref="Fail"/> for a critical pipeline; otherwise the consumer-wide <c>actorstream.kafka.consumer.offset-out-of-range</c>.</summary>
    Default,

    /// <summary>Continue at the log start; the skipped offsets are counted and raised as an alert.</summary>
    Earliest,

    /// <summary>Continue at the log end; the skipped offsets are counted and raised as an alert.</summary>
    Latest,

    /// <summary>Stop the pipeline with an error naming the partition and the offsets, so that a person decides.</summary>
    Fail,
}
