using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using ActorStream.Entities;
using ActorStream.Monitoring;
using ActorStream.Pipelines;
using ActorStream.Pipelines.Settings;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

/// <summary>Holds every record of its topic until the test opens the gate.</summary>
public sealed class GatedEntity : RecordEntity<SeqValue>
{
    public static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    public static TaskCompletionSource Gate(string topic) => Gates.GetOrAdd(topic, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    protected override Task HandleAsync(SeqValue value, RecordContext context) => Gate(context.Record.Topic).Task;
}

public sealed class LagAlertTests : PipelineSpec
{
    private static readonly HttpListenerHook Hook = new();

    public LagAlertTests(ITestOutputHelper output)
        : base(output, $$"""
            actorstream.monitoring {
              lag-interval = 200ms
              stall-window = 2s
              stopped-after = 30s
              alerts {
                lag-above { threshold = 50, for = 1s }
                lag-growing.for = off
                stuck-key.older-than = 1s
              }
              webhooks = ["{{Hook.Url}}"]
              webhook-retry { max-attempts = 3, min-backoff = 50ms, max-backoff = 200ms }
            }
            """)
    {
    }

    [Fact]
    public async Task Lag_and_stall_alerts_fire_while_processing_is_stopped_and_resolve_when_it_resumes()
    {
        ActorStreamExtension.Get(Sys).Configure(entities: new EntityRegistry().Register<GatedEntity>("Gated"));
        var topic = NewTopic(2);
        var fired = new ConcurrentQueue<Alert>();
        var resolved = new ConcurrentQueue<Alert>();
        var listener = ActorOfAsTestActorRef<AlertListener>(Akka.Actor.Props.Create(() => new AlertListener(fired, resolved)));
        Sys.EventStream.Subscribe(listener, typeof(AlertFired));
        Sys.EventStream.Subscribe(listener, typeof(AlertResolved));

        var settings = new PipelineSettingsBuilder("gated").Topic(topic).GroupId($"gated-{Guid.NewGuid():N}").Entity("Gated")
            .AckTimeout(TimeSpan.FromMinutes(5)).Build();
        var pipeline = Pipeline.Start(Sys, settings);
        Produce(topic, Enumerable.Range(0, 200).Select(i => ((string?)$"k{i % 20}", $$"""{"seq":{{i}}}""")));

        // Nothing is processed: lag 200 above 50 for 1 s, and both partitions stall.
        await AwaitConditionAsync(() => Task.FromResult(fired.Any(a => a.Rule == AlertRule.LagAbove)), TimeSpan.FromSeconds(20));
        await AwaitConditionAsync(() => Task.FromResult(fired.Count(a => a.Rule == AlertRule.StalledPartition) == 2), TimeSpan.FromSeconds(20));
        await AwaitConditionAsync(() => Task.FromResult(fired.Count(a => a.Rule == AlertRule.StuckKey) == 2), TimeSpan.FromSeconds(20));
        Assert.All(fired.Where(a => a.Rule == AlertRule.StuckKey), a => Assert.Matches(@"key 'k\d+' has waited \d+ s for t-\w+\[\d\]@\d+ to be acknowledged", a.Message));
        var lagAlert = fired.First(a => a.Rule == AlertRule.LagAbove);
        Assert.Equal("gated", lagAlert.Pipeline);
        Assert.Contains("lag 200 above 50", lagAlert.Message);
        Assert.Contains(PipelineMonitoring.Get(Sys).ActiveAlerts, a => a.Id == lagAlert.Id);

        var lag = PipelineMonitoring.Get(Sys).Lag.Single(l => l.Pipeline == "gated");
        Assert.Equal(200, lag.TotalLag);
        Assert.All(lag.Partitions, p => Assert.Contains(p.Status, new[] { PartitionStatus.Stalled, PartitionStatus.Stopped }));
        Assert.Equal(200, GaugeTotal("actorstream.consumer.lag", "gated"));

        // The webhook got the firing alert as JSON.
        await AwaitConditionAsync(() => Task.FromResult(Hook.Bodies.Any(b => b.Contains("\"state\":\"firing\"") && b.Contains(lagAlert.Id))), TimeSpan.FromSeconds(10));

        // Processing resumes: everything is acked and committed, the alerts resolve.
        GatedEntity.Gate(topic).SetResult();
        await AwaitConditionAsync(() => Task.FromResult(resolved.Any(a => a.Id == lagAlert.Id) && resolved.Count(a => a.Rule == AlertRule.StalledPartition) == 2
            && resolved.Count(a => a.Rule == AlertRule.StuckKey) == 2), TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(PipelineMonitoring.Get(Sys).ActiveAlerts, a => a.Pipeline == "gated");
        Assert.Contains(PipelineMonitoring.Get(Sys).RecentlyResolved, a => a.Id == lagAlert.Id && a.ResolvedAt is not null);
        await AwaitConditionAsync(() => Task.FromResult(Hook.Bodies.Any(b => b.Contains("\"state\":\"resolved\"") && b.Contains(lagAlert.Id))), TimeSpan.FromSeconds(10));
        Assert.Equal(0, PipelineMonitoring.Get(Sys).Lag.Single(l => l.Pipeline == "gated").TotalLag);

        await pipeline.StopAsync(TimeSpan.FromSeconds(20));
    }

    private static long GaugeTotal(string instrument, string pipeline)
    {
        long total = 0;
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "ActorStream" && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "pipeline" && (string?)tag.Value == pipeline)
                {
                    total += value;
                }
            }
        });
        meterListener.Start();
        meterListener.RecordObservableInstruments();
        return total;
    }

    private sealed class AlertListener : Akka.Actor.ReceiveActor
    {
        public AlertListener(ConcurrentQueue<Alert> fired, ConcurrentQueue<Alert> resolved)
        {
            Receive<AlertFired>(f => fired.Enqueue(f.Alert));
            Receive<AlertResolved>(r => resolved.Enqueue(r.Alert));
        }
    }

    /// <summary>A local HTTP endpoint that records the bodies POSTed to it.</summary>
    private sealed class HttpListenerHook
    {
        private readonly HttpListener _listener = new();

        public HttpListenerHook()
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<string> Bodies { get; } = new();

        private static int FreePort()
        {
            var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            var port = ((IPEndPoint)socket.LocalEndpoint).Port;
            socket.Stop();
            return port;
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                var context = await _listener.GetContextAsync();
                using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                {
                    Bodies.Enqueue(await reader.ReadToEndAsync());
                }

                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        }
    }
}
