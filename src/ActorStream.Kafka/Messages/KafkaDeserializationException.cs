using Confluent.Kafka;

namespace ActorStream.Kafka.Messages;

/// <summary>
/// A record's key or value could not be deserialized. Carries the record's position and raw bytes
/// so the failure can be reported or dead-lettered with full context.
/// </summary>
public sealed class KafkaDeserializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="record">The raw record.</param>
    /// <param name="component">Whether the key or the value failed.</param>
    /// <param name="inner">The deserializer's exception.</param>
    public KafkaDeserializationException(ConsumeResult<byte[], byte[]> record, MessageComponentType component, Exception inner)
        : base($"Cannot deserialize the {component.ToString().ToLowerInvariant()} of {record.Topic}[{record.Partition.Value}]@{record.Offset.Value}: {inner.Message}", inner)
    {
        Record = record;
        Component = component;
    }

    /// <summary>The raw record (key, value, headers, position).</summary>
    public ConsumeResult<byte[], byte[]> Record { get; }

    /// <summary>Whether the key or the value failed.</summary>
    public MessageComponentType Component { get; }
}
