using Akka.Configuration;
using ActorStream.Monitoring;

namespace ActorStream.Tests.Monitoring;

public class MonitoringSettingsTests
{
    [Fact]
    public void The_reference_defaults_are_read()
    {
        var s = MonitoringSettings.Create(ConfigurationFactory.Empty);
        Assert.True(s.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(5), s.LagInterval);
        Assert.Equal((10_000L, TimeSpan.FromMinutes(1)), (s.LagAboveThreshold, s.LagAboveFor));
        Assert.Equal(TimeSpan.FromMinutes(2), s.LagGrowingFor);
        Assert.Equal(TimeSpan.FromMinutes(5), s.SerializationErrorsWindow);
        Assert.Empty(s.Webhooks);
    }

    [Fact]
    public void Rules_can_be_turned_off_and_webhooks_set()
    {
        var s = MonitoringSettings.Create(ConfigurationFactory.ParseString("""
            actorstream.monitoring.alerts.lag-growing.for = off
            actorstream.monitoring.webhooks = ["http://127.0.0.1:9/hook"]
            """));
        Assert.Null(s.LagGrowingFor);
        Assert.Equal(new Uri("http://127.0.0.1:9/hook"), Assert.Single(s.Webhooks));
    }

    [Theory]
    [InlineData("actorstream.monitoring.lag-interval = soon", "actorstream.monitoring.lag-interval: must be a duration")]
    [InlineData("actorstream.monitoring.stopped-after = 10s", "actorstream.monitoring.stopped-after: must be >= stall-window")]
    [InlineData("actorstream.monitoring.webhooks = [\"ftp://x\"]", "actorstream.monitoring.webhooks: 'ftp://x' is not an http(s) URL")]
    [InlineData("actorstream.monitoring.alerts.lag-above.threshold = -1", "actorstream.monitoring.alerts.lag-above.threshold: must be a whole number >= 0")]
    [InlineData("actorstream.monitoring.alerts.stalled-partition = sometimes", "actorstream.monitoring.alerts.stalled-partition: must be on or off")]
    [InlineData("actorstream.monitoring.serialization-errors.window = 0s", "actorstream.monitoring.serialization-errors.window: must be > 0")]
    public void Invalid_values_name_the_key(string hocon, string message)
    {
        var error = Assert.Throws<MonitoringConfigurationException>(() => MonitoringSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.StartsWith(message, error.Message);
    }
}
