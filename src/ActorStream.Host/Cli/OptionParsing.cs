using System.CommandLine.Parsing;
using System.Globalization;

namespace ActorStream.Host.Cli;

/// <summary>Option parsers whose errors name the option, the bad value and what is expected.</summary>
internal static class OptionParsing
{
    public static int Int(ArgumentResult result, string option, int min, int max, string what)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{option} '{token}' is invalid; expected {what}: a whole number from {min} to {max}.");
        return default;
    }

    /// <summary>A duration like <c>30s</c>, <c>5m</c>, <c>1h</c> or <c>250ms</c>; <c>0</c> means "no limit".</summary>
    public static TimeSpan Duration(ArgumentResult result, string option)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : string.Empty;
        if (TryDuration(token, out var value))
        {
            return value;
        }

        result.AddError($"{option} '{token}' is invalid; expected a duration such as 250ms, 30s, 5m or 1h (0 = until stopped).");
        return default;
    }

    public static bool TryDuration(string token, out TimeSpan value)
    {
        value = default;
        if (token == "0")
        {
            value = TimeSpan.Zero;
            return true;
        }

        (string Suffix, double Factor)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, factor) in units)
        {
            if (token.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(token[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                && number >= 0 && number * factor <= TimeSpan.FromDays(365).TotalSeconds)
            {
                value = TimeSpan.FromSeconds(number * factor);
                return true;
            }
        }

        return false;
    }
}
