using Akka.Configuration;
using ActorStream.Kafka.Settings;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Tests.Pipelines.Settings;

/// <summary>The per-pipeline keys critical and offset-out-of-range: parsing, validation, and the policy a pipeline's consumer applies.</summary>
public class OffsetPolicySettingsTests
{
    private static Config Parse(string hocon) => ConfigurationFactory.ParseString(hocon);

    private static PipelineSettings Accounts(string block, string extra = "") =>
        PipelineSettings.FromConfig(Parse($"actorstream.pipelines.accounts {{\ntopic = accounts\nentity = Account\n{block}\n}}\n{extra}")).Single();

    [Fact]
    public void By_default_a_pipeline_is_not_critical_and_follows_the_consumer_wide_policy()
    {
        var s = Accounts("");
        Assert.False(s.Critical);
        Assert.Equal(PipelineOffsetOutOfRange.Default, s.OffsetOutOfRange);
        Assert.Equal(OffsetOutOfRangePolicy.Reset, s.EffectiveOffsetOutOfRange(OffsetOutOfRangePolicy.Reset));
        Assert.Equal(OffsetOutOfRangePolicy.Latest, s.EffectiveOffsetOutOfRange(OffsetOutOfRangePolicy.Latest));
    }

    [Theory]
    [InlineData("critical = on", true)]
    [InlineData("critical = off", false)]
    [InlineData("critical = true", true)]
    [InlineData("critical = OFF", false)]
    [InlineData("critical = yes", true)]
    public void Critical_is_a_switch(string line, bool expected) => Assert.Equal(expected, Accounts(line).Critical);

    [Theory]
    [InlineData("earliest", PipelineOffsetOutOfRange.Earliest)]
    [InlineData("latest", PipelineOffsetOutOfRange.Latest)]
    [InlineData("fail", PipelineOffsetOutOfRange.Fail)]
    [InlineData("default", PipelineOffsetOutOfRange.Default)]
    [InlineData("Earliest", PipelineOffsetOutOfRange.Earliest)]
    public void Offset_out_of_range_takes_the_documented_values(string value, PipelineOffsetOutOfRange expected) =>
        Assert.Equal(expected, Accounts($"offset-out-of-range = {value}").OffsetOutOfRange);

    [Theory]
    // pipeline value, critical, consumer-wide, effective
    [InlineData(PipelineOffsetOutOfRange.Default, false, OffsetOutOfRangePolicy.Reset, OffsetOutOfRangePolicy.Reset)]
    [InlineData(PipelineOffsetOutOfRange.Default, false, OffsetOutOfRangePolicy.Earliest, OffsetOutOfRangePolicy.Earliest)]
    [InlineData(PipelineOffsetOutOfRange.Default, true, OffsetOutOfRangePolicy.Reset, OffsetOutOfRangePolicy.Fail)]
    [InlineData(PipelineOffsetOutOfRange.Default, true, OffsetOutOfRangePolicy.Earliest, OffsetOutOfRangePolicy.Fail)]
    [InlineData(PipelineOffsetOutOfRange.Earliest, true, OffsetOutOfRangePolicy.Fail, OffsetOutOfRangePolicy.Earliest)]
    [InlineData(PipelineOffsetOutOfRange.Latest, false, OffsetOutOfRangePolicy.Reset, OffsetOutOfRangePolicy.Latest)]
    [InlineData(PipelineOffsetOutOfRange.Fail, false, OffsetOutOfRangePolicy.Earliest, OffsetOutOfRangePolicy.Fail)]
    public void The_effective_policy_is_the_pipelines_choice_then_fail_if_critical_then_the_consumers(
        PipelineOffsetOutOfRange pipeline, bool critical, OffsetOutOfRangePolicy consumerWide, OffsetOutOfRangePolicy effective)
    {
        var s = new PipelineSettingsBuilder("accounts").Topic("accounts").Entity("Account").Critical(critical).OffsetOutOfRange(pipeline).Build();
        Assert.Equal(effective, s.EffectiveOffsetOutOfRange(consumerWide));
    }

    [Fact]
    public void Both_keys_can_come_from_pipeline_defaults_and_a_pipeline_overrides_them()
    {
        const string defaults = "actorstream.pipeline-defaults { critical = on, offset-out-of-range = latest }";
        var inherited = Accounts("", defaults);
        Assert.Equal((true, PipelineOffsetOutOfRange.Latest), (inherited.Critical, inherited.OffsetOutOfRange));

        var own = Accounts("critical = off\noffset-out-of-range = default", defaults);
        Assert.Equal((false, PipelineOffsetOutOfRange.Default), (own.Critical, own.OffsetOutOfRange));
    }

    [Fact]
    public void Invalid_values_name_the_pipeline_the_key_and_the_allowed_values()
    {
        var policy = Assert.Throws<PipelineConfigurationException>(() => Accounts("offset-out-of-range = reset"));
        Assert.Equal(("accounts", "offset-out-of-range"), (policy.Pipeline, policy.Key));
        Assert.Equal("actorstream.pipelines.accounts.offset-out-of-range: unknown value 'reset'; allowed values: earliest, latest, fail, default", policy.Message);

        var critical = Assert.Throws<PipelineConfigurationException>(() => Accounts("critical = maybe"));
        Assert.Equal(("accounts", "critical"), (critical.Pipeline, critical.Key));
        Assert.Equal("actorstream.pipelines.accounts.critical: unknown value 'maybe'; allowed values: on, off", critical.Message);

        var inDefaults = Assert.Throws<PipelineConfigurationException>(() => PipelineSettings.Create("accounts", Parse("topic = a\nentity = E"), Parse("offset-out-of-range = sometimes")));
        Assert.Equal("actorstream.pipeline-defaults.offset-out-of-range: unknown value 'sometimes'; allowed values: earliest, latest, fail, default (inherited by pipeline 'accounts')",
            inDefaults.Message);

        var typo = Assert.Throws<PipelineConfigurationException>(() => Accounts("offset-out-of-rang = fail"));
        Assert.Contains("did you mean 'offset-out-of-range'?", typo.Message);
    }

    [Fact]
    public void Builder_and_config_give_equal_settings_with_the_policy_keys()
    {
        var fromConfig = Accounts("critical = on\noffset-out-of-range = earliest");
        var built = new PipelineSettingsBuilder("accounts").Topic("accounts").Entity("Account").Critical().OffsetOutOfRange(PipelineOffsetOutOfRange.Earliest).Build();
        Assert.Equal(fromConfig, built);
        Assert.Equal(fromConfig.GetHashCode(), built.GetHashCode());
        Assert.Equal(fromConfig.ToString(), built.ToString());
        Assert.Contains("critical=on, offset-out-of-range=earliest", built.ToString());

        // Each key takes part in equality.
        Assert.NotEqual(built, built.WithCritical(false));
        Assert.NotEqual(built, built.WithOffsetOutOfRange(PipelineOffsetOutOfRange.Fail));
        Assert.Equal(built, built.WithCritical(false).WithCritical(true));
    }

    [Fact]
    public void Undefined_enum_values_are_refused_in_code_naming_the_key()
    {
        var ex = Assert.Throws<PipelineConfigurationException>(() => new PipelineSettingsBuilder("accounts").OffsetOutOfRange((PipelineOffsetOutOfRange)42));
        Assert.Equal("offset-out-of-range", ex.Key);
        Assert.Contains("allowed values: earliest, latest, fail, default", ex.Message);
    }
}
