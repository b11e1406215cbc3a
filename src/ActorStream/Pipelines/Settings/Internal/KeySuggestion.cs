namespace ActorStream.Pipelines.Settings.Internal;

/// <summary>Finds the known key a mistyped key was probably meant to be.</summary>
internal static class KeySuggestion
{
    /// <summary>
    /// The known key closest to <paramref name="typed"/>, compared without dashes, underscores and
    /// case (so <c>maxInFlight</c> and <c>max-inflight</c> find <c>max-in-flight-per-partition</c>);
    /// null when nothing is close.
    /// </summary>
    public static string? For(string typed, IEnumerable<string> known)
    {
        var t = Normalize(typed);
        if (t.Length == 0)
        {
            return null;
        }

        string? best = null;
        var bestScore = int.MaxValue;
        foreach (var candidate in known)
        {
            var c = Normalize(candidate);
            var score = Distance(t, c);
            if (Math.Min(t.Length, c.Length) >= 4 && (c.StartsWith(t, StringComparison.Ordinal) || t.StartsWith(c, StringComparison.Ordinal)))
            {
                score = Math.Min(score, 1);
            }

            if (score <= Math.Max(1, Math.Min(3, c.Length / 3)) && score < bestScore)
            {
                best = candidate;
                bestScore = score;
            }
        }

        return best;
    }

    private static string Normalize(string key) =>
        new(key.Where(ch => ch is not ('-' or '_' or ' ')).Select(char.ToLowerInvariant).ToArray());

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
