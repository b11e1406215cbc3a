namespace ActorStream.Pipelines.Settings;

/// <summary>
/// What a pipeline does with a record whose handling by its entity failed
/// (<c>supervision.default</c> and <c>supervision.rules</c>; config values <c>retry</c>,
/// <c>dead-letter</c>, <c>stop</c>).
/// </summary>
public enum SupervisionDecision
{
    /// <summary>
    /// Handle the record again after a backoff (see <see cref="RetrySettings"/>). The record's key
    /// stays blocked meanwhile; other keys go on. Once the attempts are used up the record is
    /// dead-lettered.
    /// </summary>
    Retry,

    /// <summary>Write the record to the dead-letter topic at once and go on with the next record of its key.</summary>
    DeadLetter,

    /// <summary>Stop the pipeline. The record is not committed and is delivered again when the pipeline runs next.</summary>
    Stop,
}
