using Confluent.Kafka;

namespace ActorStream.TestKit;

/// <summary>
/// An operation on the <see cref="EmbeddedKafka"/> mock cluster failed or was given invalid input. The message
/// names the offending topic, partition, broker or setting.
/// </summary>
public sealed class EmbeddedKafkaException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed, naming the offending topic, partition or broker.</param>
    public EmbeddedKafkaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    /// <param name="message">What failed, naming the offending topic, partition or broker.</param>
    /// <param name="innerException">The underlying cause.</param>
    public EmbeddedKafkaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an error code returned by the librdkafka mock API.</summary>
    /// <param name="message">What failed, naming the offending topic, partition or broker.</param>
    /// <param name="errorCode">The error code librdkafka returned.</param>
    public EmbeddedKafkaException(string message, ErrorCode errorCode)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The error code returned by librdkafka's mock API, if the failure came from there.</summary>
    public ErrorCode? ErrorCode { get; }
}
