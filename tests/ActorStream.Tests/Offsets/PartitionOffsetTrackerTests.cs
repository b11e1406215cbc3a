using ActorStream.Internal.Offsets;
using ActorStream.Tests.Support;

namespace ActorStream.Tests.Offsets;

public class PartitionOffsetTrackerTests
{
    [Fact]
    public void Empty_tracker_has_nothing_to_commit()
    {
        var tracker = new PartitionOffsetTracker();

        Assert.Null(tracker.CommittableOffset);
        Assert.Null(tracker.OldestPending);
        Assert.Null(tracker.OldestPendingTimestamp);
        Assert.Null(tracker.OldestPendingAge);
        Assert.Null(tracker.LastRegistered);
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal(0, tracker.Tracked);
        Assert.False(tracker.TryTakeCommit(out _));
        Assert.False(tracker.Ack(0));
    }

    [Fact]
    public void Registered_offsets_hold_the_commit_at_the_first_one()
    {
        var tracker = new PartitionOffsetTracker();
        tracker.Register(10);
        tracker.Register(11);
        tracker.Register(12);

        Assert.Equal(10, tracker.CommittableOffset);
        Assert.Equal(10, tracker.OldestPending);
        Assert.Equal(12, tracker.LastRegistered);
        Assert.Equal(3, tracker.InFlight);
        Assert.Equal(3, tracker.Tracked);
    }

    [Fact]
    public void In_order_acks_advance_the_commit_one_by_one()
    {
        var tracker = Registered(0, 1, 2, 3);

        Assert.True(tracker.Ack(0));
        Assert.Equal(1, tracker.CommittableOffset);
        Assert.True(tracker.Ack(1));
        Assert.Equal(2, tracker.CommittableOffset);
        Assert.True(tracker.Ack(2));
        Assert.Equal(3, tracker.CommittableOffset);
        Assert.True(tracker.Ack(3));
        Assert.Equal(4, tracker.CommittableOffset);
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal(0, tracker.Tracked);
        Assert.Null(tracker.OldestPending);
    }

    [Fact]
    public void Out_of_order_acks_are_held_until_the_gap_closes()
    {
        var tracker = Registered(0, 1, 2, 3, 4);

        Assert.True(tracker.Ack(3));
        Assert.True(tracker.Ack(1));
        Assert.True(tracker.Ack(4));
        Assert.Equal(0, tracker.CommittableOffset);
        Assert.Equal(2, tracker.InFlight);
        Assert.Equal(5, tracker.Tracked);

        Assert.True(tracker.Ack(0));
        Assert.Equal(2, tracker.CommittableOffset);
        Assert.Equal(2, tracker.OldestPending);
        Assert.Equal(1, tracker.InFlight);
        Assert.Equal(3, tracker.Tracked);

        Assert.True(tracker.Ack(2));
        Assert.Equal(5, tracker.CommittableOffset);
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal(0, tracker.Tracked);
    }

    [Fact]
    public void Gaps_in_offsets_are_skipped_by_the_commit()
    {
        // Compacted topics and transaction markers leave holes in a partition's offsets.
        var tracker = Registered(5, 9, 10, 20, 1_000_000);

        Assert.True(tracker.Ack(5));
        Assert.Equal(9, tracker.CommittableOffset);
        Assert.True(tracker.Ack(10));
        Assert.True(tracker.Ack(9));
        Assert.Equal(20, tracker.CommittableOffset);
        Assert.True(tracker.Ack(1_000_000));
        Assert.Equal(20, tracker.CommittableOffset);
        Assert.True(tracker.Ack(20));
        Assert.Equal(1_000_001, tracker.CommittableOffset);
    }

    [Fact]
    public void Offsets_in_a_gap_are_unknown()
    {
        var tracker = Registered(5, 9, 10, 20);

        Assert.False(tracker.Ack(6));
        Assert.False(tracker.Ack(15));
        Assert.False(tracker.Ack(4));
        Assert.False(tracker.Ack(21));
        Assert.Equal(4, tracker.InFlight);
        Assert.Equal(5, tracker.CommittableOffset);
    }

    [Fact]
    public void Duplicate_acks_are_harmless()
    {
        var tracker = Registered(0, 1, 2);

        Assert.True(tracker.Ack(1));
        Assert.False(tracker.Ack(1));
        Assert.Equal(2, tracker.InFlight);

        Assert.True(tracker.Ack(0));
        Assert.False(tracker.Ack(0));
        Assert.False(tracker.Ack(1));
        Assert.Equal(2, tracker.CommittableOffset);
        Assert.Equal(1, tracker.InFlight);

        Assert.True(tracker.Ack(2));
        Assert.False(tracker.Ack(2));
        Assert.Equal(3, tracker.CommittableOffset);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void Unknown_acks_change_nothing()
    {
        var tracker = Registered(100, 101);

        Assert.False(tracker.Ack(99));
        Assert.False(tracker.Ack(102));
        Assert.False(tracker.Ack(-1));
        Assert.False(tracker.Ack(long.MaxValue));
        Assert.Equal(100, tracker.CommittableOffset);
        Assert.Equal(2, tracker.InFlight);
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(5, 4)]
    [InlineData(5, 0)]
    public void Registering_a_non_increasing_offset_throws_naming_both_offsets(long first, long second)
    {
        var tracker = Registered(first);

        var error = Assert.Throws<InvalidOperationException>(() => tracker.Register(second));

        Assert.Contains($"Offset {second} ", error.Message);
        Assert.Contains($"after offset {first}", error.Message);
        Assert.Equal(1, tracker.InFlight);
        Assert.Equal(first, tracker.LastRegistered);
    }

    [Fact]
    public void Registering_a_non_increasing_offset_throws_also_after_everything_was_acked()
    {
        var tracker = Registered(7);
        tracker.Ack(7);

        Assert.Throws<InvalidOperationException>(() => tracker.Register(7));
        Assert.Equal(8, tracker.CommittableOffset);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void Registering_an_impossible_offset_throws(long offset)
    {
        var tracker = new PartitionOffsetTracker();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Register(offset));

        Assert.Equal("offset", error.ParamName);
        Assert.Null(tracker.CommittableOffset);
    }

    [Fact]
    public void Oldest_pending_timestamp_follows_the_lowest_pending_offset()
    {
        var clock = new ManualTimeProvider(startMilliseconds: 1_000);
        var tracker = new PartitionOffsetTracker(clock);

        tracker.Register(0);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        tracker.Register(1);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        tracker.Register(2);
        clock.Advance(TimeSpan.FromMilliseconds(300));

        Assert.Equal(1_000, tracker.OldestPendingTimestamp);
        Assert.Equal(TimeSpan.FromMilliseconds(500), tracker.OldestPendingAge);

        // Acking a later offset does not change the oldest pending one.
        tracker.Ack(1);
        Assert.Equal(1_000, tracker.OldestPendingTimestamp);

        // Acking the oldest moves to the next pending one (offset 2, since 1 was acked).
        tracker.Ack(0);
        Assert.Equal(2, tracker.OldestPending);
        Assert.Equal(1_200, tracker.OldestPendingTimestamp);
        Assert.Equal(TimeSpan.FromMilliseconds(300), tracker.OldestPendingAge);

        tracker.Ack(2);
        Assert.Null(tracker.OldestPendingTimestamp);
        Assert.Null(tracker.OldestPendingAge);
    }

    [Fact]
    public void TryTakeCommit_returns_the_position_only_when_it_advanced()
    {
        var tracker = Registered(10, 11, 12);

        // The start position is not progress.
        Assert.False(tracker.TryTakeCommit(out _));

        tracker.Ack(11);
        Assert.False(tracker.TryTakeCommit(out _));

        tracker.Ack(10);
        Assert.True(tracker.TryTakeCommit(out var first));
        Assert.Equal(12, first);
        Assert.False(tracker.TryTakeCommit(out _));

        tracker.Register(13);
        Assert.False(tracker.TryTakeCommit(out _));

        tracker.Ack(12);
        tracker.Ack(13);
        Assert.True(tracker.TryTakeCommit(out var second));
        Assert.Equal(14, second);
        Assert.False(tracker.TryTakeCommit(out _));

        // Offsets 14..19 were never handed out (a gap): once 20 is registered the position may move up to it.
        tracker.Register(20);
        Assert.True(tracker.TryTakeCommit(out var third));
        Assert.Equal(20, third);
    }

    [Fact]
    public void Reset_forgets_everything()
    {
        var tracker = Registered(50, 51, 52);
        tracker.Ack(50);
        tracker.TryTakeCommit(out _);

        tracker.Reset();

        Assert.Null(tracker.CommittableOffset);
        Assert.Null(tracker.LastRegistered);
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal(0, tracker.Tracked);
        Assert.False(tracker.Ack(51));
        Assert.False(tracker.TryTakeCommit(out _));

        // After a restart the partition resumes from the committed position, lower than offsets seen before.
        tracker.Register(51);
        Assert.Equal(51, tracker.CommittableOffset);
        Assert.False(tracker.TryTakeCommit(out _));
        Assert.True(tracker.Ack(51));
        Assert.True(tracker.TryTakeCommit(out var offset));
        Assert.Equal(52, offset);
    }

    [Fact]
    public void Buffer_grows_past_its_initial_capacity_and_wraps_around()
    {
        var tracker = new PartitionOffsetTracker(initialCapacity: 4);
        var next = 0L;

        // Wrap the ring several times with a window of 3, then grow it to 1000 while the head is mid-buffer.
        for (var round = 0; round < 10; round++)
        {
            tracker.Register(next++);
            tracker.Register(next++);
            tracker.Register(next++);
            Assert.True(tracker.Ack(next - 2));
            Assert.True(tracker.Ack(next - 3));
            Assert.True(tracker.Ack(next - 1));
            Assert.Equal(next, tracker.CommittableOffset);
        }

        var start = next;
        tracker.Register(next++);
        for (var i = 0; i < 999; i++)
        {
            next += 1 + (i % 3); // gaps
            tracker.Register(next);
        }

        Assert.Equal(1000, tracker.InFlight);
        Assert.False(tracker.Ack(start + 3)); // in a gap (registered: start, start+2, start+4, start+7, ...)

        // Ack all but the first, from the top down, then the first: everything pops at once.
        for (var offset = next; offset > start; offset--)
        {
            tracker.Ack(offset);
        }

        Assert.Equal(1, tracker.InFlight);
        Assert.Equal(1000, tracker.Tracked);
        Assert.Equal(start, tracker.CommittableOffset);
        Assert.True(tracker.Ack(start));
        Assert.Equal(next + 1, tracker.CommittableOffset);
        Assert.Equal(0, tracker.Tracked);
    }

    [Fact]
    public void Tracked_counts_acked_records_behind_a_stuck_head()
    {
        // One stuck record keeps everything behind it uncommitted: InFlight stays small, Tracked grows.
        var tracker = new PartitionOffsetTracker();
        tracker.Register(0);
        for (var offset = 1; offset <= 500; offset++)
        {
            tracker.Register(offset);
            tracker.Ack(offset);
        }

        Assert.Equal(1, tracker.InFlight);
        Assert.Equal(501, tracker.Tracked);
        Assert.Equal(0, tracker.CommittableOffset);
    }

    private static PartitionOffsetTracker Registered(params long[] offsets)
    {
        var tracker = new PartitionOffsetTracker();
        foreach (var offset in offsets)
        {
            tracker.Register(offset);
        }

        return tracker;
    }
}
