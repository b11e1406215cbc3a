using ActorStream.Pipelines.Settings.Internal;

namespace ActorStream.Pipelines.Settings;

/// <summary>
/// Thrown when a pipeline's configuration (or its code-first equivalent) is missing or invalid.
/// The message starts with the full configuration path of the offending setting, e.g.
/// <c>actorstream.pipelines.accounts.max-in-flight-per-partition: must be an integer &gt;= 1, got -3</c>,
/// so it can be acted upon without reading source code.
/// </summary>
public sealed class PipelineConfigurationException : Exception
{
    /// <summary>Creates the exception for the key <paramref name="key"/> of the pipeline <paramref name="pipeline"/>.</summary>
    /// <param name="pipeline">Name of the pipeline, e.g. <c>accounts</c>.</param>
    /// <param name="key">Key inside the pipeline block, e.g. <c>retry.max-attempts</c>; empty for the block itself.</param>
    /// <param name="problem">What is wrong and what is allowed; the path is prefixed automatically.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public PipelineConfigurationException(string pipeline, string key, string problem, Exception? inner = null)
        : this(pipeline, key, ConfigPaths.Pipeline(pipeline, key), problem, inner)
    {
    }

    internal PipelineConfigurationException(string pipeline, string key, string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Pipeline = pipeline;
        Key = key;
        Path = path;
        Problem = problem;
    }

    /// <summary>Name of the pipeline whose settings are invalid (empty when the problem is not specific to one pipeline).</summary>
    public string Pipeline { get; }

    /// <summary>
    /// Key of the offending setting relative to the pipeline block, e.g. <c>dlq-topic</c> or
    /// <c>retry.max-backoff</c>; empty when the block itself is wrong.
    /// </summary>
    public string Key { get; }

    /// <summary>
    /// Full configuration path of the offending setting, e.g.
    /// <c>actorstream.pipelines.accounts.retry.max-backoff</c>, or
    /// <c>actorstream.pipeline-defaults.retry.max-backoff</c> when the bad value was inherited from the defaults.
    /// </summary>
    public string Path { get; }

    /// <summary>The problem without the path prefix.</summary>
    public string Problem { get; }
}
