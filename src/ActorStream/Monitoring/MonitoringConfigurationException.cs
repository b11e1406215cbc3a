namespace ActorStream.Monitoring;

/// <summary>An <c>actorstream.monitoring</c> value is invalid; the message names the key.</summary>
public sealed class MonitoringConfigurationException : Exception
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    /// <param name="path">The full configuration path of the offending key.</param>
    /// <param name="problem">What is wrong and what is allowed.</param>
    public MonitoringConfigurationException(string path, string problem)
        : base($"{path}: {problem}")
    {
    }
}
