using ActorStream.Pipelines.Settings.Internal;

namespace ActorStream.Pipelines.Settings;

/// <summary>
/// Decides what happens to a record whose handling failed (<c>actorstream.pipelines.&lt;name&gt;.supervision</c>):
/// a <see cref="Default"/> decision plus rules by exception type. Immutable; use the <c>WithX</c>
/// methods to derive variants.
/// </summary>
/// <remarks>
/// <see cref="Rules"/> keep their declaration order for display, but the order neither affects
/// <see cref="Decide"/> (there is at most one rule per type, and the most derived match wins) nor equality.
/// </remarks>
public sealed class SupervisionSettings : IEquatable<SupervisionSettings>
{
    private const int MaxAggregateDepth = 16;

    private readonly Dictionary<string, SupervisionDecision> _byType;

    /// <summary>Creates supervision settings.</summary>
    /// <param name="defaultDecision">Decision for exceptions that no rule matches.</param>
    /// <param name="rules">Rules by exception type; at most one per type name.</param>
    /// <exception cref="ArgumentException">Two rules name the same exception type, or a decision is undefined.</exception>
    public SupervisionSettings(SupervisionDecision defaultDecision, IEnumerable<SupervisionRule>? rules = null)
    {
        if (!EnumNames.IsDefined(defaultDecision))
        {
            throw new ArgumentOutOfRangeException(nameof(defaultDecision), defaultDecision, "undefined supervision decision");
        }

        var list = (rules ?? []).ToList();
        _byType = new Dictionary<string, SupervisionDecision>(StringComparer.Ordinal);
        foreach (var rule in list)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            if (!_byType.TryAdd(rule.ExceptionType, rule.Decision))
            {
                throw new ArgumentException($"more than one rule for exception type '{rule.ExceptionType}'", nameof(rules));
            }
        }

        Default = defaultDecision;
        Rules = list.AsReadOnly();
    }

    /// <summary>Decision for exceptions that no rule matches.</summary>
    public SupervisionDecision Default { get; }

    /// <summary>The rules, in declaration order.</summary>
    public IReadOnlyList<SupervisionRule> Rules { get; }

    /// <summary>Returns a copy with another <see cref="Default"/>.</summary>
    public SupervisionSettings WithDefault(SupervisionDecision defaultDecision) => new(defaultDecision, Rules);

    /// <summary>
    /// Returns a copy with the rule <paramref name="exceptionType"/> → <paramref name="decision"/>:
    /// it replaces an existing rule for the same type in place, or is appended.
    /// </summary>
    /// <param name="exceptionType">Full name of the exception type, e.g. <c>System.FormatException</c>.</param>
    /// <param name="decision">The decision for exceptions of that type or derived from it.</param>
    public SupervisionSettings WithRule(string exceptionType, SupervisionDecision decision)
    {
        var rule = new SupervisionRule(exceptionType, decision);
        var rules = Rules.ToList();
        var index = rules.FindIndex(r => r.ExceptionType == exceptionType);
        if (index >= 0)
        {
            rules[index] = rule;
        }
        else
        {
            rules.Add(rule);
        }

        return new(Default, rules);
    }

    /// <summary>Returns a copy with a rule for <typeparamref name="TException"/> (see <see cref="WithRule(string, SupervisionDecision)"/>).</summary>
    /// <typeparam name="TException">The exception type; derived types match too.</typeparam>
    /// <param name="decision">The decision for such exceptions.</param>
    public SupervisionSettings WithRule<TException>(SupervisionDecision decision)
        where TException : Exception =>
        WithRule(TypeName(typeof(TException)), decision);

    /// <summary>Returns a copy without the rule for <paramref name="exceptionType"/> (unchanged when there is none).</summary>
    /// <param name="exceptionType">Full name of the exception type.</param>
    public SupervisionSettings WithoutRule(string exceptionType) =>
        new(Default, Rules.Where(r => r.ExceptionType != exceptionType));

    /// <summary>
    /// The decision for a record whose handling failed with <paramref name="exception"/>:
    /// <list type="number">
    /// <item>the rule for the exception's own type (by <see cref="Type.FullName"/>), else the rule for
    /// the nearest base type that has one (a rule for <c>System.IO.IOException</c> matches a
    /// <see cref="FileNotFoundException"/>);</item>
    /// <item>for an <see cref="AggregateException"/> that no rule names by its own type (or an
    /// AggregateException type it derives from), each inner exception is decided this way
    /// (recursively, unmatched ones getting <see cref="Default"/>) and the most severe decision is
    /// taken: <see cref="SupervisionDecision.Stop"/> over <see cref="SupervisionDecision.DeadLetter"/>
    /// over <see cref="SupervisionDecision.Retry"/>;</item>
    /// <item>otherwise <see cref="Default"/>.</item>
    /// </list>
    /// </summary>
    /// <param name="exception">The failure.</param>
    public SupervisionDecision Decide(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return DecideCore(exception, depth: 0);
    }

    /// <inheritdoc />
    public bool Equals(SupervisionSettings? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other.Default != Default || other._byType.Count != _byType.Count)
        {
            return false;
        }

        foreach (var (type, decision) in _byType)
        {
            if (!other._byType.TryGetValue(type, out var otherDecision) || otherDecision != decision)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SupervisionSettings);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var rules = 0;
        foreach (var (type, decision) in _byType)
        {
            rules ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(type), decision);
        }

        return HashCode.Combine(Default, rules);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"SupervisionSettings(default={EnumNames.Name(Default)}, rules={{{string.Join(", ", Rules)}}})";

    /// <summary>The name rules use for <paramref name="type"/>.</summary>
    internal static string TypeName(Type type) => type.FullName ?? type.Name;

    private SupervisionDecision DecideCore(Exception exception, int depth)
    {
        if (exception is AggregateException aggregate && depth < MaxAggregateDepth)
        {
            for (var type = aggregate.GetType(); type is not null && typeof(AggregateException).IsAssignableFrom(type); type = type.BaseType)
            {
                if (_byType.TryGetValue(TypeName(type), out var own))
                {
                    return own;
                }
            }

            if (aggregate.InnerExceptions.Count > 0)
            {
                var worst = SupervisionDecision.Retry;
                foreach (var inner in aggregate.InnerExceptions)
                {
                    var decision = DecideCore(inner, depth + 1);
                    if (Severity(decision) > Severity(worst))
                    {
                        worst = decision;
                    }
                }

                return worst;
            }
        }

        for (var type = exception.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            if (_byType.TryGetValue(TypeName(type), out var decision))
            {
                return decision;
            }
        }

        return Default;
    }

    private static int Severity(SupervisionDecision decision) => decision switch
    {
        SupervisionDecision.Stop => 2,
        SupervisionDecision.DeadLetter => 1,
        _ => 0,
    };
}
