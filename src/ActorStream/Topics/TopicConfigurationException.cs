namespace ActorStream.Topics;

/// <summary>A topic declaration is invalid; the message names the key (<c>actorstream.topics.&lt;name&gt;.&lt;key&gt;</c>).</summary>
public sealed class TopicConfigurationException : Exception
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    /// <param name="path">The full configuration path of the offending key.</param>
    /// <param name="problem">What is wrong and what is allowed.</param>
    public TopicConfigurationException(string path, string problem)
        : base($"{path}: {problem}")
    {
        Path = path;
    }

    /// <summary>The configuration path of the offending key.</summary>
    public string Path { get; }
}
