namespace ActorStream.Pipelines.Settings;

/// <summary>
/// One supervision rule: exceptions of the type named <see cref="ExceptionType"/> (or of a type
/// derived from it) get <see cref="Decision"/>. Config: <c>supervision.rules { "System.FormatException" = dead-letter }</c>.
/// </summary>
/// <param name="ExceptionType">Full name of the exception type (<see cref="Type.FullName"/>), e.g. <c>System.FormatException</c>.</param>
/// <param name="Decision">What to do with a record whose handling failed with such an exception.</param>
/// <exception cref="ArgumentException">The type name is empty or has surrounding whitespace, or the decision is undefined.</exception>
public sealed record SupervisionRule(string ExceptionType, SupervisionDecision Decision)
{
    /// <summary>Full name of the exception type the rule matches (also matching derived types).</summary>
    public string ExceptionType { get; } = ExceptionTypeProblem(ExceptionType) is { } problem
        ? throw new ArgumentException(problem, nameof(ExceptionType))
        : ExceptionType;

    /// <summary>The decision for matching exceptions.</summary>
    public SupervisionDecision Decision { get; } = Internal.EnumNames.IsDefined(Decision)
        ? Decision
        : throw new ArgumentOutOfRangeException(nameof(Decision), Decision, "undefined supervision decision");

    /// <inheritdoc />
    public override string ToString() => $"\"{ExceptionType}\" = {Internal.EnumNames.Name(Decision)}";

    /// <summary>Why <paramref name="exceptionType"/> cannot name an exception type, or null.</summary>
    internal static string? ExceptionTypeProblem(string? exceptionType)
    {
        if (string.IsNullOrWhiteSpace(exceptionType))
        {
            return "an exception type name must not be empty";
        }

        if (exceptionType.Trim().Length != exceptionType.Length)
        {
            return $"exception type name '{exceptionType}' must not start or end with whitespace";
        }

        return null;
    }
}
