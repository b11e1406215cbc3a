namespace ActorStream.Pipelines.Settings.Internal;

/// <summary>Kafka's rules for topic names (and, reused, for pipeline names).</summary>
internal static class TopicNames
{
    /// <summary>Longest topic name Kafka accepts.</summary>
    public const int MaxLength = 249;

    /// <summary>Why <paramref name="topic"/> is not a legal Kafka topic name, or null when it is.</summary>
    public static string? Problem(string? topic)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return "a topic name must not be empty";
        }

        if (topic.Length > MaxLength)
        {
            return $"'{Shorten(topic)}' is not a valid Kafka topic name: it has {topic.Length} characters, at most {MaxLength} are allowed";
        }

        if (topic is "." or "..")
        {
            return $"'{topic}' is not a valid Kafka topic name: '.' and '..' are not allowed";
        }

        var bad = IndexOfIllegal(topic);
        return bad < 0
            ? null
            : $"'{topic}' is not a valid Kafka topic name: character '{topic[bad]}' at position {bad + 1} is not allowed; allowed are a-z, A-Z, 0-9, '.', '_' and '-'";
    }

    /// <summary>Index of the first character outside <c>[a-zA-Z0-9._-]</c>, or -1.</summary>
    public static int IndexOfIllegal(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (!IsLegal(name[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsLegal(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
