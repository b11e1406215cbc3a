namespace ActorStream.SchemaRegistry.Internal.Json;

/// <summary>A schema text is not a valid JSON Schema (Confluent error 42201); the message says where and why.</summary>
internal sealed class InvalidSchemaException : Exception
{
    public InvalidSchemaException(string message)
        : base(message)
    {
    }
}
