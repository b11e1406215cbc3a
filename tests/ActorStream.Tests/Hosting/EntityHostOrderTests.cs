using Akka.Actor;
using Akka.TestKit.Xunit2;
using ActorStream.Entities;
using ActorStream.Internal.Hosting;
using ActorStream.Internal.Protocol;
using ActorStream.Pipelines.Settings;
using Xunit;

namespace ActorStream.Tests.Hosting;

/// <summary>
/// The entity host keeps a key's offset order even when deliveries arrive out of order — as after a
/// node crash, when a record sent to the dead node is re-sent after ack-timeout while later records of
/// the key already reached the new owner.
/// </summary>
public sealed class EntityHostOrderTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Topic = "orders";

    [Fact]
    public void A_record_whose_predecessor_has_not_arrived_waits_for_it()
    {
        var (host, handled) = StartHost();

        // 12 arrives first, saying 11 is unacknowledged before it; 11 (lost on the way) comes later.
        host.Tell(Deliver(12, previous: 11));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        host.Tell(Deliver(11, previous: 10));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // 10 is not here either
        host.Tell(Deliver(10, previous: -1));

        Assert.Equal(10, ExpectMsg<RecordAcked>().Offset);
        Assert.Equal(11, ExpectMsg<RecordAcked>().Offset);
        Assert.Equal(12, ExpectMsg<RecordAcked>().Offset);
        Assert.Equal([10L, 11L, 12L], handled.ReceiveN(3).Cast<long>());
    }

    [Fact]
    public void A_re_sent_record_whose_predecessor_was_acknowledged_elsewhere_goes_ahead()
    {
        var (host, handled) = StartHost();

        // A new incarnation of the host: 21's predecessor 20 was completed by the previous one, which
        // this host cannot know. The partition stream re-sends 21 after ack-timeout with no predecessor.
        host.Tell(Deliver(21, previous: 20));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        host.Tell(Deliver(21, previous: -1));

        Assert.Equal(21, ExpectMsg<RecordAcked>().Offset);
        Assert.Equal(21L, handled.ExpectMsg<long>());
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // handled once, not once per copy
    }

    [Fact]
    public void Records_without_gaps_flow_in_offset_order_and_a_redelivery_is_acknowledged_without_handling()
    {
        var (host, handled) = StartHost();
        host.Tell(Deliver(1, previous: -1));
        host.Tell(Deliver(2, previous: 1));
        host.Tell(Deliver(3, previous: 2));
        Assert.Equal([1L, 2L, 3L], ReceiveN(3).Cast<RecordAcked>().Select(a => a.Offset));
        Assert.Equal([1L, 2L, 3L], handled.ReceiveN(3).Cast<long>());

        host.Tell(Deliver(2, previous: -1));
        Assert.Equal(AckOutcome.AlreadyDone, ExpectMsg<RecordAcked>().Outcome);
        handled.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private (IActorRef Host, Akka.TestKit.TestProbe Handled) StartHost()
    {
        var handled = CreateTestProbe();
        var registration = new EntityRegistration("Order", typeof(string), _ => Props.Create(() => new Recorder(handled.Ref)), bytes => bytes);
        var settings = new PipelineSettingsBuilder("orders").Topic(Topic).Entity("Order").Build();
        var host = Sys.ActorOf(EntityHost.Props("k", settings, registration, CreateTestProbe().Ref));
        return (host, handled);
    }

    private DeliverRecord Deliver(long offset, long previous) =>
        new("k", new KafkaRecord(Topic, 0, offset, "k", [], [], DateTimeOffset.UtcNow), "v", TestActor, previous);

    /// <summary>Reports every handled offset and acknowledges it at once.</summary>
    private sealed class Recorder : ReceiveActor
    {
        public Recorder(IActorRef handled) =>
            Receive<ProcessRecord>(p =>
            {
                handled.Tell(p.Record.Offset);
                Sender.Tell(new RecordProcessed(p.Record.Offset));
            });
    }
}
