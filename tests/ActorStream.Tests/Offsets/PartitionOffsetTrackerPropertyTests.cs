using ActorStream.Internal.Offsets;
using ActorStream.Tests.Support;
using CsCheck;

namespace ActorStream.Tests.Offsets;

/// <summary>
/// Property-based tests: random offset sequences with random gaps, acknowledged in random order with duplicates,
/// and random interleavings of all operations checked against a naive reference model.
/// </summary>
public class PartitionOffsetTrackerPropertyTests
{
    /// <summary>Gaps between consecutive offsets: mostly contiguous, sometimes small holes, rarely huge ones.</summary>
    private static readonly Gen<long> GenGap = Gen.Frequency(
        (8, Gen.Const(1L)),
        (3, Gen.Long[2, 5]),
        (1, Gen.Long[6, 1_000_000]));

    private static readonly Gen<long[]> GenOffsets =
        from start in Gen.Long[0, 1_000_000_000_000]
        from gaps in GenGap.Array[1, 200]
        select Accumulate(start, gaps);

    /// <summary>All offsets registered, then acknowledged in a random order, some of them twice.</summary>
    private static readonly Gen<(long[] Offsets, long[] Acks)> GenRegisterThenAck =
        from offsets in GenOffsets
        from duplicates in Gen.Int[0, offsets.Length - 1].Array[0, 20]
        from acks in Gen.Shuffle(offsets.Concat(duplicates.Select(i => offsets[i])).ToArray())
        select (offsets, acks);

    private static readonly Gen<Op> GenOp = Gen.Frequency(
        (30, from gap in GenGap select new Op(OpKind.Register, gap, 0, 0)),
        (30, from pick in Gen.Double[0, 1] from ms in Gen.Int[0, 50] select new Op(OpKind.AckRegistered, 0, pick, ms)),
        (5, from pick in Gen.Double[0, 1] from delta in Gen.Long[-3, 3] select new Op(OpKind.AckNearby, delta, pick, 0)),
        (1, from back in Gen.Long[0, 3] select new Op(OpKind.RegisterNonIncreasing, back, 0, 0)),
        (10, Gen.Const(new Op(OpKind.TakeCommit, 0, 0, 0))),
        (1, Gen.Const(new Op(OpKind.Reset, 0, 0, 0))));

    private static readonly Gen<(long Start, Op[] Ops)> GenScenario =
        from start in Gen.Long[0, 1_000_000_000_000]
        from ops in GenOp.Array[0, 300]
        select (start, ops);

    private enum OpKind
    {
        Register,
        AckRegistered,
        AckNearby,
        RegisterNonIncreasing,
        TakeCommit,
        Reset,
    }

    [Fact]
    public void Commit_never_passes_an_unacked_offset_never_moves_back_and_ends_one_past_the_last()
    {
        GenRegisterThenAck.Sample((offsets, acks) =>
        {
            var tracker = new PartitionOffsetTracker(initialCapacity: 4);
            foreach (var offset in offsets)
            {
                tracker.Register(offset);
            }

            var unacked = new SortedSet<long>(offsets);
            var previous = tracker.CommittableOffset!.Value;
            Assert.Equal(offsets[0], previous);

            foreach (var ack in acks)
            {
                var wasPending = unacked.Remove(ack);
                Assert.Equal(wasPending, tracker.Ack(ack));

                var committable = tracker.CommittableOffset!.Value;
                if (unacked.Count > 0 && committable > unacked.Min)
                {
                    Assert.Fail($"commit {committable} passed unacked offset {unacked.Min}");
                }

                if (committable < previous)
                {
                    Assert.Fail($"commit moved back from {previous} to {committable}");
                }

                Assert.Equal(unacked.Count, tracker.InFlight);
                previous = committable;
            }

            Assert.Empty(unacked);
            Assert.Equal(offsets[^1] + 1, tracker.CommittableOffset);
            Assert.Equal(0, tracker.InFlight);
            Assert.Equal(0, tracker.Tracked);
        }, iter: 2_000);
    }

    [Fact]
    public void Behaves_like_a_naive_sorted_set_model_under_random_operations()
    {
        GenScenario.Sample((start, ops) =>
        {
            var clock = new ManualTimeProvider();
            var tracker = new PartitionOffsetTracker(clock, initialCapacity: 2);
            var model = new Model();
            long? previousCommittable = null;

            foreach (var op in ops)
            {
                clock.Advance(TimeSpan.FromMilliseconds(op.Millis));
                switch (op.Kind)
                {
                    case OpKind.Register:
                    {
                        var offset = model.Last is { } last ? last + op.Value : start + op.Value - 1;
                        tracker.Register(offset);
                        model.Register(offset, clock.GetTimestamp());
                        break;
                    }

                    case OpKind.AckRegistered when model.Registered.Count > 0:
                    {
                        var offset = model.Registered[Math.Min((int)(op.Pick * model.Registered.Count), model.Registered.Count - 1)];
                        Assert.Equal(model.Ack(offset), tracker.Ack(offset));
                        break;
                    }

                    case OpKind.AckNearby when model.Registered.Count > 0:
                    {
                        var offset = model.Registered[Math.Min((int)(op.Pick * model.Registered.Count), model.Registered.Count - 1)] + op.Value;
                        Assert.Equal(model.Ack(offset), tracker.Ack(offset));
                        break;
                    }

                    case OpKind.RegisterNonIncreasing when model.Last is { } last:
                        Assert.Throws<InvalidOperationException>(() => tracker.Register(last - op.Value));
                        break;

                    case OpKind.TakeCommit:
                    {
                        var expected = model.TryTakeCommit(out var expectedOffset);
                        Assert.Equal(expected, tracker.TryTakeCommit(out var offset));
                        if (expected)
                        {
                            Assert.Equal(expectedOffset, offset);
                        }

                        break;
                    }

                    case OpKind.Reset:
                        tracker.Reset();
                        model = new Model();
                        previousCommittable = null;
                        break;
                }

                Assert.Equal(model.Committable, tracker.CommittableOffset);
                Assert.Equal(model.Pending.Count, tracker.InFlight);
                Assert.Equal(model.Tracked, tracker.Tracked);
                Assert.Equal(model.Last, tracker.LastRegistered);
                Assert.Equal(model.OldestPending, tracker.OldestPending);
                Assert.Equal(model.OldestPending is { } oldest ? model.RegisteredAt[oldest] : null, tracker.OldestPendingTimestamp);
                if (previousCommittable is { } before && !(tracker.CommittableOffset >= before))
                {
                    Assert.Fail($"commit moved back from {before} to {tracker.CommittableOffset}");
                }

                previousCommittable = tracker.CommittableOffset;
            }
        }, iter: 2_000);
    }

    private static long[] Accumulate(long start, long[] gaps)
    {
        var offsets = new long[gaps.Length];
        var offset = start - 1;
        for (var i = 0; i < gaps.Length; i++)
        {
            offset += gaps[i];
            offsets[i] = offset;
        }

        return offsets;
    }

    /// <param name="Kind">What to do.</param>
    /// <param name="Value">Gap to the next offset (Register), distance below the last (RegisterNonIncreasing), or
    /// distance from a registered offset (AckNearby).</param>
    /// <param name="Pick">Which registered offset, as a fraction of the list.</param>
    /// <param name="Millis">Clock advance before the operation.</param>
    private readonly record struct Op(OpKind Kind, long Value, double Pick, int Millis);

    /// <summary>The obviously correct, slow reference.</summary>
    private sealed class Model
    {
        private long? _taken;

        public SortedSet<long> Pending { get; } = new();

        public List<long> Registered { get; } = new();

        public Dictionary<long, long> RegisteredAt { get; } = new();

        public long? Last { get; private set; }

        public long? OldestPending => Pending.Count > 0 ? Pending.Min : null;

        public long? Committable => Pending.Count > 0 ? Pending.Min : Last + 1;

        public int Tracked => Pending.Count == 0 ? 0 : Registered.Count - Registered.BinarySearch(Pending.Min);

        public void Register(long offset, long timestamp)
        {
            _taken ??= offset;
            Pending.Add(offset);
            Registered.Add(offset);
            RegisteredAt[offset] = timestamp;
            Last = offset;
        }

        public bool Ack(long offset) => Pending.Remove(offset);

        public bool TryTakeCommit(out long offset)
        {
            offset = 0;
            if (Committable is { } committable && committable > _taken)
            {
                _taken = committable;
                offset = committable;
                return true;
            }

            return false;
        }
    }
}
