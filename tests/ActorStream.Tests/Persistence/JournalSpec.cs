using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit;
using ActorStream.Persistence;
using Xunit.Abstractions;

namespace ActorStream.Tests.Persistence;

/// <summary>
/// The configured journal and snapshot store, exercised through the Akka.Persistence plugin
/// protocol the way Akka's persistence TCK does (that package is not available here): replay
/// ranges, highest sequence number across deletes, snapshot save/load/criteria/delete.
/// Subclasses pick the store (SQLite file, PostgreSQL server).
/// </summary>
public abstract class JournalSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    protected JournalSpec(Config storeConfig, ITestOutputHelper output)
        : base(storeConfig.WithFallback(ActorStreamPersistence.SerializationConfig).WithFallback(ConfigurationFactory.ParseString("akka.loglevel = INFO")), output: output)
    {
        ActorStreamPersistence.Get(Sys);
        var persistence = Akka.Persistence.Persistence.Instance.Apply(Sys);
        Journal = persistence.JournalFor(ActorStreamPersistence.JournalPluginId);
        Snapshots = persistence.SnapshotStoreFor(ActorStreamPersistence.SnapshotPluginId);
    }

    protected IActorRef Journal { get; }

    protected IActorRef Snapshots { get; }

    /// <summary>Called first by every test: skip when the store is not available (never in CI).</summary>
    protected virtual void CheckAvailable()
    {
    }

    [SkippableFact]
    public void Replays_all_events_in_order_with_their_envelopes()
    {
        CheckAvailable();
        var pid = NewPid();
        WriteEvents(pid, 1, 5);
        var replayed = Replay(pid, 1, long.MaxValue, long.MaxValue);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, replayed.Select(p => p.SequenceNr));
        var third = (PersistedEvent)replayed[2].Payload;
        Assert.Equal(new RecordSource("t", 0, 103), third.Source);
        Assert.Equal(3, third.Data.GetProperty("n").GetInt32());
    }

    [SkippableFact]
    public void Replays_a_range_from_to_and_max()
    {
        CheckAvailable();
        var pid = NewPid();
        WriteEvents(pid, 1, 5);
        Assert.Equal(new long[] { 2, 3, 4 }, Replay(pid, 2, 4, long.MaxValue).Select(p => p.SequenceNr));
        Assert.Equal(new long[] { 2, 3 }, Replay(pid, 2, 5, 2).Select(p => p.SequenceNr));
        Assert.Equal(new long[] { 3 }, Replay(pid, 3, 3, long.MaxValue).Select(p => p.SequenceNr));
        Assert.Empty(Replay(pid, 1, 5, 0));
        Assert.Empty(Replay(pid, 6, 10, long.MaxValue));
        Assert.Empty(Replay(NewPid(), 1, long.MaxValue, long.MaxValue));
    }

    [SkippableFact]
    public void Reports_the_highest_sequence_number()
    {
        CheckAvailable();
        var pid = NewPid();
        WriteEvents(pid, 1, 5);
        Assert.Equal(5, HighestSequenceNr(pid, 0));
        Assert.Equal(0, HighestSequenceNr(NewPid(), 0));
    }

    [SkippableFact]
    public void Deletes_up_to_a_sequence_number_and_keeps_the_highest_sequence_number()
    {
        CheckAvailable();
        var pid = NewPid();
        WriteEvents(pid, 1, 5);
        Delete(pid, 3);
        Assert.Equal(new long[] { 4, 5 }, Replay(pid, 1, long.MaxValue, long.MaxValue).Select(p => p.SequenceNr));

        Delete(pid, 5);
        Assert.Empty(Replay(pid, 1, long.MaxValue, long.MaxValue));
        Assert.Equal(5, HighestSequenceNr(pid, 0));

        // A new write continues after the deleted ones.
        WriteEvents(pid, 6, 6);
        Assert.Equal(new long[] { 6 }, Replay(pid, 1, long.MaxValue, long.MaxValue).Select(p => p.SequenceNr));
    }

    [SkippableFact]
    public void Saves_and_loads_the_latest_snapshot_and_honours_criteria()
    {
        CheckAvailable();
        var pid = NewPid();
        SaveSnapshot(pid, 10, "a");
        SaveSnapshot(pid, 20, "b");
        SaveSnapshot(pid, 30, "c");

        var latest = LoadSnapshot(pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        Assert.Equal(30, latest!.Metadata.SequenceNr);
        Assert.Equal("\"c\"", ((PersistedSnapshot)latest.Snapshot).State.GetRawText());

        // Not above a sequence number (criteria), not above toSequenceNr (recovery bound).
        Assert.Equal(20, LoadSnapshot(pid, new SnapshotSelectionCriteria(25), long.MaxValue)!.Metadata.SequenceNr);
        Assert.Equal(10, LoadSnapshot(pid, SnapshotSelectionCriteria.Latest, 15)!.Metadata.SequenceNr);
        Assert.Null(LoadSnapshot(pid, new SnapshotSelectionCriteria(5), long.MaxValue));
        Assert.Null(LoadSnapshot(NewPid(), SnapshotSelectionCriteria.Latest, long.MaxValue));
    }

    [SkippableFact]
    public void Deletes_snapshots_one_and_by_criteria()
    {
        CheckAvailable();
        var pid = NewPid();
        var first = SaveSnapshot(pid, 10, "a");
        SaveSnapshot(pid, 20, "b");
        var third = SaveSnapshot(pid, 30, "c");

        Snapshots.Tell(new DeleteSnapshot(third), TestActor);
        ExpectMsg<DeleteSnapshotSuccess>(Wait);
        Assert.Equal(20, LoadSnapshot(pid, SnapshotSelectionCriteria.Latest, long.MaxValue)!.Metadata.SequenceNr);

        Snapshots.Tell(new DeleteSnapshots(pid, new SnapshotSelectionCriteria(20)), TestActor);
        ExpectMsg<DeleteSnapshotsSuccess>(Wait);
        Assert.Null(LoadSnapshot(pid, SnapshotSelectionCriteria.Latest, long.MaxValue));
        Assert.Equal(10, first.SequenceNr);
    }

    protected static string NewPid() => $"journal-spec|{Guid.NewGuid():N}";

    private void WriteEvents(string pid, long from, long to)
    {
        var writer = Guid.NewGuid().ToString();
        var messages = new List<IPersistentEnvelope>();
        for (var n = from; n <= to; n++)
        {
            var payload = new PersistedEvent(new RecordSource("t", 0, 100 + n), "Counted", 1, JsonSerializer.SerializeToElement(new { n }));
            messages.Add(new AtomicWrite(new Persistent(payload, n, pid, writerGuid: writer)));
        }

        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(messages, probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>(Wait);
        for (var n = from; n <= to; n++)
        {
            var written = probe.ExpectMsg<WriteMessageSuccess>(Wait);
            Assert.Equal(n, written.Persistent.SequenceNr);
        }
    }

    private List<IPersistentRepresentation> Replay(string pid, long from, long to, long max)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(from, to, max, pid, probe.Ref));
        var result = new List<IPersistentRepresentation>();
        while (true)
        {
            var message = probe.ExpectMsg<object>(Wait);
            switch (message)
            {
                case ReplayedMessage replayed:
                    result.Add(replayed.Persistent);
                    break;
                case RecoverySuccess:
                    return result;
                case ReplayMessagesFailure failure:
                    throw new InvalidOperationException("replay failed", failure.Cause);
                default:
                    throw new InvalidOperationException($"unexpected {message}");
            }
        }
    }

    private long HighestSequenceNr(string pid, long from)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(from, 0, 0, pid, probe.Ref));
        return probe.ExpectMsg<RecoverySuccess>(Wait).HighestSequenceNr;
    }

    private void Delete(string pid, long toSequenceNr)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(pid, toSequenceNr, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>(Wait);
    }

    private SnapshotMetadata SaveSnapshot(string pid, long sequenceNr, string state)
    {
        var metadata = new SnapshotMetadata(pid, sequenceNr, DateTime.UtcNow);
        var snapshot = new PersistedSnapshot(1, JsonSerializer.SerializeToElement(state), []);
        Snapshots.Tell(new Akka.Persistence.SaveSnapshot(metadata, snapshot), TestActor);
        return ExpectMsg<SaveSnapshotSuccess>(Wait).Metadata;
    }

    private SelectedSnapshot? LoadSnapshot(string pid, SnapshotSelectionCriteria criteria, long toSequenceNr)
    {
        Snapshots.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), TestActor);
        return ExpectMsg<LoadSnapshotResult>(Wait).Snapshot;
    }
}

/// <summary>The journal spec on the embedded default: a SQLite file (WAL).</summary>
public sealed class SqliteJournalTests : JournalSpec
{
    private readonly TempStore _store;

    public SqliteJournalTests(ITestOutputHelper output)
        : this(new TempStore("journal-sqlite-"), output)
    {
    }

    private SqliteJournalTests(TempStore store, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(store.Hocon), output)
    {
        _store = store;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _store.Delete();
    }
}

/// <summary>The journal spec on a real PostgreSQL server (the collection's throwaway server).</summary>
[Collection("postgres")]
public sealed class PostgresJournalTests : JournalSpec
{
    private readonly PostgresFixture _postgres;

    public PostgresJournalTests(PostgresFixture postgres, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString($"""
            actorstream.persistence.provider = postgresql
            actorstream.persistence.postgresql.connection-string = "{postgres.ConnectionString}"
            """), output)
    {
        _postgres = postgres;
    }

    protected override void CheckAvailable() => _postgres.SkipIfUnavailable();
}
