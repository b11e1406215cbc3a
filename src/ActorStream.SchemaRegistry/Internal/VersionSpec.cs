using System.Globalization;

namespace ActorStream.SchemaRegistry.Internal;

/// <summary>A version in a URL: a number from 1 to 2^31-1, or <c>latest</c> (also <c>-1</c>).</summary>
internal readonly record struct VersionSpec(int? Number)
{
    public bool IsLatest => Number is null;

    public static VersionSpec Parse(string text)
    {
        if (string.Equals(text, "latest", StringComparison.OrdinalIgnoreCase) || text == "-1")
        {
            return new VersionSpec(null);
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1
            ? new VersionSpec(number)
            : throw RegistryErrors.InvalidVersion(text);
    }

    public override string ToString() => Number?.ToString(CultureInfo.InvariantCulture) ?? "latest";
}
