namespace ActorStream.Hosting;

/// <summary>
/// The node's configuration is incomplete or invalid: thrown by the host's start before anything
/// runs. The message names the key (and, when it was set outside the defaults, where it was set)
/// and the allowed values.
/// </summary>
public class ActorStreamConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="inner">The error of the component that found it, if any.</param>
    public ActorStreamConfigurationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
