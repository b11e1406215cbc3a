namespace ActorStream.Pipelines.Settings.Internal;

/// <summary>
/// Value rules shared by the config reader, the <c>WithX</c> methods and the builder, so every
/// route into <see cref="PipelineSettings"/> reports the same problem text.
/// </summary>
internal static class PipelineChecks
{
    public const string ExpectedTopics = "a non-empty list of topic names, e.g. topics = [\"a\", \"b\"] (for one topic use topic = \"a\")";
    public const string ExpectedEmitTopics = "a list of topic names, e.g. emit-topics = [\"accounts.balances\"]";

    public static string? Name(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a pipeline name must not be empty";
        }

        var bad = TopicNames.IndexOfIllegal(name);
        return bad < 0 ? null : $"pipeline name '{name}' is not valid: character '{name[bad]}' is not allowed; use a-z, A-Z, 0-9, '.', '_' and '-'";
    }

    public static string? Topics(IReadOnlyList<string?> topics, string expected = ExpectedTopics, bool allowEmpty = false)
    {
        if (topics.Count == 0 && !allowEmpty)
        {
            return $"must be {expected}, got an empty list";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in topics)
        {
            if (TopicNames.Problem(topic) is { } problem)
            {
                return problem;
            }

            if (!seen.Add(topic!))
            {
                return $"topic '{topic}' is listed more than once";
            }
        }

        return null;
    }

    public static string? GroupId(string? groupId) =>
        string.IsNullOrWhiteSpace(groupId) || groupId.Trim().Length != groupId.Length
            ? $"must be a Kafka consumer group id without surrounding whitespace, got '{groupId}'"
            : null;

    public static string? Entity(string? entity) =>
        string.IsNullOrWhiteSpace(entity)
            ? "is required: the registered name of the entity type that handles the records, e.g. entity = \"Account\""
            : entity.Trim().Length != entity.Length
                ? $"must not start or end with whitespace, got '{entity}'"
                : null;

    public static string? DlqTopic(string? dlqTopic, IReadOnlyList<string> inputTopics, bool derived)
    {
        if (TopicNames.Problem(dlqTopic) is { } problem)
        {
            return problem;
        }

        if (inputTopics.Contains(dlqTopic!, StringComparer.Ordinal))
        {
            var what = derived ? $"the default dead-letter topic '{dlqTopic}' (<first topic>.dlq)" : $"'{dlqTopic}'";
            return $"{what} is also an input topic of this pipeline, so dead-lettered records would be consumed again; set dlq-topic to another topic";
        }

        return null;
    }

    public static string? MaxInFlightPerPartition(int value) =>
        value >= 1 ? null : $"must be an integer >= 1, got {value}";

    public static string? AckTimeout(TimeSpan value) =>
        value > TimeSpan.Zero ? null : $"must be a duration > 0 (e.g. 500ms, 30s), got {ConfigPaths.Format(value)}";

    public static string? NullKeyPolicy(NullKeyPolicy value) =>
        EnumNames.IsDefined(value) ? null : EnumNames.Unknown(EnumNames.NullKeyPolicies, value.ToString());

    public static string? PassivateAfter(TimeSpan value) =>
        value < TimeSpan.Zero ? $"must be a duration > 0 (e.g. 2m) or off, got {ConfigPaths.Format(value)}" : null;

    public static string? SnapshotEvery(int value) =>
        value < 0 ? $"must be an integer >= 0 (0 = never snapshot), got {value}" : null;

    public static string? OffsetOutOfRange(PipelineOffsetOutOfRange value) =>
        EnumNames.IsDefined(value) ? null : EnumNames.Unknown(EnumNames.OffsetOutOfRangePolicies, value.ToString());

    public static string? ValueFormat(ValueFormat value) =>
        EnumNames.IsDefined(value) ? null : EnumNames.Unknown(EnumNames.ValueFormats, value.ToString());

    public static string? EmitFormat(EmitFormat value) =>
        EnumNames.IsDefined(value) ? null : EnumNames.Unknown(EnumNames.EmitFormats, value.ToString());
}
