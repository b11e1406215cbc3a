namespace ActorStream.SchemaRegistry;

/// <summary>The registry could not start: its storage cannot be opened or its address cannot be bound.</summary>
public sealed class SchemaRegistryStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchemaRegistryStartException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}
