namespace ActorStream.TestKit.Internal;

/// <summary>Kafka's topic name rules: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".</summary>
internal static class TopicNames
{
    internal const int MaxLength = 249;

    /// <summary>Returns null if <paramref name="topic"/> is a legal topic name, else the reason it is not.</summary>
    internal static string? Validate(string? topic)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return "the topic name is empty";
        }

        if (topic.Length > MaxLength)
        {
            return $"the topic name is {topic.Length} characters long (at most {MaxLength} allowed)";
        }

        if (topic is "." or "..")
        {
            return "the topic name cannot be \".\" or \"..\"";
        }

        foreach (var c in topic)
        {
            var legal = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';
            if (!legal)
            {
                return $"the topic name contains '{c}' (only ASCII letters, digits, '.', '_' and '-' are allowed)";
            }
        }

        return null;
    }
}
