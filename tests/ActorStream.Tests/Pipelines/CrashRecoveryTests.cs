using System.Text.Json;
using Akka.Actor;
using ActorStream.Pipelines;
using Xunit.Abstractions;

namespace ActorStream.Tests.Pipelines;

public class CrashRecoveryTests : PipelineSpec
{
    public CrashRecoveryTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task A_node_stopped_abruptly_mid_stream_loses_nothing_after_restart()
    {
        const int keys = 50;
        const int perKey = 40;
        var topic = NewTopic(4);
        Kafka.CreateTopic($"{topic}.out", 4);
        Produce(topic, Enumerable.Range(1, perKey).SelectMany(seq => Enumerable.Range(0, keys).Select(k =>
            ((string?)$"k-{k}", JsonSerializer.Serialize(new SeqValue(seq, DelayMs: 25), Entities.EntityJson.Options)))));
        var settings = Settings("crash", topic, "Seq");
        var journal = Journal.For(topic);

        // First node: killed (actor system terminated, no drain) a third of the way through.
        var first = StartNode(settings, abrupt: true);
        await AwaitConditionAsync(() => Task.FromResult(journal.Count >= keys * perKey / 3), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        await first.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        var committedAtCrash = Committed(settings.GroupId, topic, 4).Values.Sum();
        Assert.True(committedAtCrash < keys * perKey, "the crash happened before everything was committed");

        // Second node, same group: resumes from the committed offsets.
        var second = StartNode(settings);
        try
        {
            await AwaitConditionAsync(() => Task.FromResult(Committed(settings.GroupId, topic, 4).Values.Sum() == keys * perKey), TimeSpan.FromSeconds(90));
        }
        finally
        {
            await second.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // Every input is reflected in the output topic; per key the outputs never skip ahead
        // (a redelivered tail after the crash repeats earlier seqs: at-least-once, in order).
        var outputs = ReadToEnd($"{topic}.out", 4);
        Output.WriteLine($"{outputs.Count} outputs for {keys * perKey} inputs (re-emitted after the crash: {outputs.Count - keys * perKey})");
        foreach (var key in outputs.GroupBy(o => o.Message.Key))
        {
            var seqs = key.OrderBy(o => o.Offset.Value).Select(o => JsonDocument.Parse(o.Message.Value).RootElement.GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(1, perKey).Select(i => (long)i), seqs.Distinct().Order());
            Assert.Equal(1, seqs[0]);
            for (var i = 1; i < seqs.Count; i++)
            {
                Assert.True(seqs[i] <= seqs[i - 1] + 1, $"{key.Key}: seq {seqs[i]} after {seqs[i - 1]} skips ahead");
            }
        }

        Assert.Equal(keys, outputs.Select(o => o.Message.Key).Distinct().Count());
    }

    private ActorSystem StartNode(global::ActorStream.Pipelines.Settings.PipelineSettings settings, bool abrupt = false)
    {
        // abrupt: Terminate stops every actor at once (no coordinated shutdown, no draining) —
        // in-flight records are lost and their offsets uncommitted, as in a crash.
        var config = abrupt
            ? Akka.Configuration.ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off").WithFallback(NodeConfig(Kafka.BootstrapServers))
            : NodeConfig(Kafka.BootstrapServers);
        var system = ActorSystem.Create("node", config);
        JoinSelf(system);
        ActorStreamExtension.Get(system).Entities.Register<SeqEntity>("Seq");
        Pipeline.Start(system, settings);
        return system;
    }
}
