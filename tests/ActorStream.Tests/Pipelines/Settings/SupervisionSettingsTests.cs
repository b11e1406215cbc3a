using ActorStream.Pipelines.Settings;

namespace ActorStream.Tests.Pipelines.Settings;

public class SupervisionSettingsTests
{
    private sealed class DerivedAggregateException(params Exception[] inner) : AggregateException(inner);

    private static readonly SupervisionSettings Rules = new(
        SupervisionDecision.Retry,
        [
            new SupervisionRule("System.FormatException", SupervisionDecision.DeadLetter),
            new SupervisionRule("System.IO.IOException", SupervisionDecision.Retry),
            new SupervisionRule("System.InvalidOperationException", SupervisionDecision.Stop),
        ]);

    [Fact]
    public void Exact_type_rule_applies()
    {
        Assert.Equal(SupervisionDecision.DeadLetter, Rules.Decide(new FormatException("bad")));
        Assert.Equal(SupervisionDecision.Stop, Rules.Decide(new InvalidOperationException()));
    }

    [Fact]
    public void Rule_for_a_base_type_matches_derived_types()
    {
        var settings = Rules.WithDefault(SupervisionDecision.Stop);
        Assert.Equal(SupervisionDecision.Retry, settings.Decide(new FileNotFoundException()));
        Assert.Equal(SupervisionDecision.DeadLetter, settings.Decide(new UriFormatException()));
        Assert.Equal(SupervisionDecision.Stop, settings.Decide(new ObjectDisposedException("x")));
    }

    [Fact]
    public void The_most_derived_rule_wins()
    {
        var settings = new SupervisionSettings(SupervisionDecision.Retry)
            .WithRule<Exception>(SupervisionDecision.Stop)
            .WithRule<IOException>(SupervisionDecision.DeadLetter);
        Assert.Equal(SupervisionDecision.DeadLetter, settings.Decide(new FileNotFoundException()));
        Assert.Equal(SupervisionDecision.Stop, settings.Decide(new FormatException()));
    }

    [Fact]
    public void Unmatched_exceptions_get_the_default()
    {
        Assert.Equal(SupervisionDecision.Retry, Rules.Decide(new TimeoutException()));
        Assert.Equal(SupervisionDecision.DeadLetter, Rules.WithDefault(SupervisionDecision.DeadLetter).Decide(new TimeoutException()));
    }

    [Fact]
    public void Aggregate_exceptions_are_decided_by_their_inner_exceptions()
    {
        Assert.Equal(SupervisionDecision.DeadLetter, Rules.Decide(new AggregateException(new FormatException())));
        Assert.Equal(SupervisionDecision.DeadLetter, Rules.Decide(new AggregateException(new AggregateException(new FormatException()))));
        Assert.Equal(SupervisionDecision.Retry, Rules.Decide(new DerivedAggregateException(new FileNotFoundException())));
    }

    [Fact]
    public void Aggregate_of_several_takes_the_most_severe_decision_counting_the_default_for_unmatched_ones()
    {
        Assert.Equal(SupervisionDecision.Stop, Rules.Decide(new AggregateException(new FormatException(), new InvalidOperationException(), new IOException())));
        Assert.Equal(SupervisionDecision.DeadLetter, Rules.Decide(new AggregateException(new IOException(), new FormatException())));

        var strictDefault = Rules.WithDefault(SupervisionDecision.DeadLetter);
        Assert.Equal(SupervisionDecision.DeadLetter, strictDefault.Decide(new AggregateException(new IOException(), new TimeoutException())));
    }

    [Fact]
    public void A_rule_for_the_aggregate_type_itself_wins_over_its_inner_exceptions()
    {
        var settings = Rules.WithRule<AggregateException>(SupervisionDecision.Retry);
        Assert.Equal(SupervisionDecision.Retry, settings.Decide(new AggregateException(new InvalidOperationException())));
        Assert.Equal(SupervisionDecision.Retry, settings.Decide(new DerivedAggregateException(new InvalidOperationException())));
    }

    [Fact]
    public void Empty_aggregate_is_decided_by_its_own_type()
    {
        Assert.Equal(SupervisionDecision.Retry, Rules.Decide(new AggregateException()));
        Assert.Equal(SupervisionDecision.Stop, Rules.WithRule<Exception>(SupervisionDecision.Stop).Decide(new AggregateException()));
    }

    [Fact]
    public void Equality_ignores_rule_order()
    {
        var a = new SupervisionSettings(SupervisionDecision.Retry).WithRule<FormatException>(SupervisionDecision.Stop).WithRule<IOException>(SupervisionDecision.Retry);
        var b = new SupervisionSettings(SupervisionDecision.Retry).WithRule<IOException>(SupervisionDecision.Retry).WithRule<FormatException>(SupervisionDecision.Stop);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b.WithDefault(SupervisionDecision.Stop));
        Assert.NotEqual(a, b.WithRule<FormatException>(SupervisionDecision.Retry));
        Assert.NotEqual(a, b.WithoutRule("System.FormatException"));
    }

    [Fact]
    public void Invalid_rules_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SupervisionSettings(SupervisionDecision.Retry,
            [new SupervisionRule("X", SupervisionDecision.Stop), new SupervisionRule("X", SupervisionDecision.Retry)]));
        Assert.Throws<ArgumentException>(() => new SupervisionRule("", SupervisionDecision.Stop));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SupervisionRule("X", (SupervisionDecision)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SupervisionSettings((SupervisionDecision)42));
    }
}
