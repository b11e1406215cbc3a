namespace ActorStream.Entities;

/// <summary>
/// An emitted value cannot be written with <c>emit-format = json-schema</c>: it does not validate
/// against the latest schema of its topic's subject, or the subject has no usable JSON Schema. The
/// record that emitted it fails (the pipeline's supervision retries it, then dead-letters it); the
/// value is never written.
/// </summary>
public sealed class OutputSchemaException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topic">The output topic.</param>
    /// <param name="subject">The registry subject (<c>&lt;topic&gt;-value</c>).</param>
    /// <param name="reason">What is wrong, e.g. the validation errors.</param>
    public OutputSchemaException(string topic, string subject, string reason)
        : base($"output to topic '{topic}' refused (emit-format = json-schema, subject '{subject}'): {reason}")
    {
        Topic = topic;
        Subject = subject;
    }

    /// <summary>The output topic.</summary>
    public string Topic { get; }

    /// <summary>The registry subject.</summary>
    public string Subject { get; }
}
