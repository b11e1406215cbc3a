namespace ActorStream.SchemaRegistry.Internal;

/// <summary>Confluent names of <see cref="CompatibilityLevel"/> values and what each level checks.</summary>
internal static class CompatibilityLevels
{
    private static readonly (CompatibilityLevel Level, string Name)[] Names =
    [
        (CompatibilityLevel.None, "NONE"),
        (CompatibilityLevel.Backward, "BACKWARD"),
        (CompatibilityLevel.BackwardTransitive, "BACKWARD_TRANSITIVE"),
        (CompatibilityLevel.Forward, "FORWARD"),
        (CompatibilityLevel.ForwardTransitive, "FORWARD_TRANSITIVE"),
        (CompatibilityLevel.Full, "FULL"),
        (CompatibilityLevel.FullTransitive, "FULL_TRANSITIVE"),
    ];

    public static string AllowedList { get; } = string.Join(", ", Names.Select(n => n.Name));

    public static string Name(CompatibilityLevel level) => Names.First(n => n.Level == level).Name;

    public static bool TryParse(string? text, out CompatibilityLevel level)
    {
        var trimmed = (text ?? "").Trim();
        foreach (var (candidate, name) in Names)
        {
            if (string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                level = candidate;
                return true;
            }
        }

        level = default;
        return false;
    }

    /// <summary>Whether the new schema must read the old ones' data.</summary>
    public static bool ChecksBackward(CompatibilityLevel level) =>
        level is CompatibilityLevel.Backward or CompatibilityLevel.BackwardTransitive or CompatibilityLevel.Full or CompatibilityLevel.FullTransitive;

    /// <summary>Whether the old schemas must read the new one's data.</summary>
    public static bool ChecksForward(CompatibilityLevel level) =>
        level is CompatibilityLevel.Forward or CompatibilityLevel.ForwardTransitive or CompatibilityLevel.Full or CompatibilityLevel.FullTransitive;

    /// <summary>Whether every live version is checked, not only the latest.</summary>
    public static bool IsTransitive(CompatibilityLevel level) =>
        level is CompatibilityLevel.BackwardTransitive or CompatibilityLevel.ForwardTransitive or CompatibilityLevel.FullTransitive;
}
