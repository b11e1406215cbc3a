namespace ActorStream.SchemaRegistry;

/// <summary>A schema registry setting is missing or invalid; <see cref="Key"/> names it, the message says what is allowed.</summary>
public sealed class SchemaRegistryConfigurationException : Exception
{
    /// <summary>Creates the exception for a configuration key.</summary>
    public SchemaRegistryConfigurationException(string key, string problem)
        : base($"{key}: {problem}")
    {
        Key = key;
    }

    /// <summary>The full configuration path at fault, e.g. <c>actorstream.schema-registry.port</c>.</summary>
    public string Key { get; }
}
