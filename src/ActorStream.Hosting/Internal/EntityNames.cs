namespace ActorStream.Hosting.Internal;

/// <summary>Default entity names: <c>AccountEntity</c> → <c>Account</c>.</summary>
internal static class EntityNames
{
    private const string Suffix = "Entity";

    public static string Default(Type entityType)
    {
        var name = entityType.Name;
        var tick = name.IndexOf('`');
        if (tick >= 0)
        {
            name = name[..tick];
        }

        return name.Length > Suffix.Length && name.EndsWith(Suffix, StringComparison.Ordinal) ? name[..^Suffix.Length] : name;
    }
}
