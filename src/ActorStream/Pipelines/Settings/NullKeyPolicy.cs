namespace ActorStream.Pipelines.Settings;

/// <summary>
/// What a pipeline does with records that have no key (a null or empty key): config key
/// <c>null-key-policy</c>, values <c>per-partition</c> and <c>dead-letter</c>.
/// </summary>
public enum NullKeyPolicy
{
    /// <summary>
    /// Keyless records go to one entity per partition, with the id <c>__partition-&lt;n&gt;</c>
    /// (see <see cref="PipelineSettings.PartitionEntityId"/>), which handles them in partition order.
    /// </summary>
    PerPartition,

    /// <summary>
    /// Keyless records go to the dead-letter topic with the error <c>record has no key</c>
    /// (see <see cref="PipelineSettings.NoKeyErrorMessage"/>).
    /// </summary>
    DeadLetter,
}
