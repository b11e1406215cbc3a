namespace ActorStream.Entities;

/// <summary>
/// An entity's outputs could not be written for a reason that clears by itself: the output topic's
/// brokers are unreachable or slow, its leaders are moving, it is being created, its authorization
/// is being fixed, the producer had to be replaced after a fatal error, or the schema registry
/// (<c>emit-format = json-schema</c>) does not answer. Like a storage outage it is not the record's
/// fault: the record stays unacknowledged (nothing past it is committed) and is retried with backoff
/// for as long as it lasts, never dead-lettered and not counted against <c>retry.max-attempts</c>.
/// A custom <see cref="IRecordEmitter"/> throws it for the same cases.
/// </summary>
public sealed class OutputUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topic">The output topic.</param>
    /// <param name="reason">What failed, e.g. the client's error.</param>
    /// <param name="inner">The client's exception.</param>
    public OutputUnavailableException(string topic, string reason, Exception? inner = null)
        : base($"output to topic '{topic}' not written yet: {reason}; retried until it is", inner)
    {
        Topic = topic;
    }

    /// <summary>The output topic.</summary>
    public string Topic { get; }
}

/// <summary>
/// An output can never be written as it is: it is larger than the producer's <c>message.max.bytes</c>
/// or the topic's <c>max.message.bytes</c>, or its topic name is invalid. The record that emitted it
/// fails into the pipeline's supervision (retried, then dead-lettered with this message).
/// </summary>
public sealed class OutputRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topic">The output topic.</param>
    /// <param name="reason">Why it can never be written.</param>
    /// <param name="inner">The client's exception, if any.</param>
    public OutputRejectedException(string topic, string reason, Exception? inner = null)
        : base(reason, inner)
    {
        Topic = topic;
    }

    /// <summary>The output topic.</summary>
    public string Topic { get; }
}
