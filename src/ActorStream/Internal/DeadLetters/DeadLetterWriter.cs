using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Event;
using ActorStream.Internal.Protocol;
using ActorStream.Kafka.Internal;
using ActorStream.Metrics;
using Confluent.Kafka;

namespace ActorStream.Internal.DeadLetters;

/// <summary>
/// Writes dead letters of one pipeline to its DLQ topic with the idempotent producer (acks=all): the
/// original key, value and headers, plus the <c>actorstream.dlq.*</c> context headers, cut to fit
/// when the whole would be too large (<see cref="DeadLetterFit"/>). The requester is told only after
/// the broker acknowledged the write; a failed write is logged, counted and retried with backoff
/// until it succeeds, so the source offset is never acknowledged for a record that is neither
/// processed nor safely dead-lettered. One write per record: a request for a record whose dead
/// letter is already being written (same topic, partition, offset) joins that write instead of
/// starting another. A producer that hits a fatal error is replaced, and the letters it did not
/// deliver are written again through the new one.
/// </summary>
internal sealed class DeadLetterWriter : ReceiveActor, IWithTimers
{
    private const int MaxMessageLength = 1000;

    private readonly string _dlqTopic;
    private readonly string _groupId;
    private readonly RenewableProducer _producer;
    private readonly int _maxMessageBytes;
    private readonly TimeSpan _minBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<(string Topic, int Partition, long Offset), InFlight> _inFlight = new();

    public DeadLetterWriter(string dlqTopic, string groupId, RenewableProducer producer, int maxMessageBytes, TimeSpan minBackoff, TimeSpan maxBackoff)
    {
        _dlqTopic = dlqTopic;
        _groupId = groupId;
        _producer = producer;
        _maxMessageBytes = maxMessageBytes;
        _minBackoff = minBackoff;
        _maxBackoff = maxBackoff;
        Receive<WriteDeadLetter>(w =>
        {
            var key = KeyOf(w);
            if (_inFlight.TryGetValue(key, out var running))
            {
                running.ReplyTo.Add(w.ReplyTo);
                return;
            }

            var flight = new InFlight(w);
            flight.ReplyTo.Add(w.ReplyTo);
            _inFlight[key] = flight;
            Write(flight, 1);
        });
        Receive<Attempt>(a =>
        {
            if (_inFlight.TryGetValue(a.Key, out var flight))
            {
                Write(flight, a.Number);
            }
        });
        Receive<Written>(w =>
        {
            if (!_inFlight.Remove(w.Key, out var flight))
            {
                return;
            }

            var request = flight.Request;
            PipelineMetrics.RecordsDeadLettered.Add(1);
            if (w.Cut)
            {
                PipelineMetrics.DeadLettersCut.Add(1);
            }

            var cut = w.Cut ? string.Create(CultureInfo.InvariantCulture, $" (cut to fit {flight.Budget:N0} bytes)") : "";
            _log.Info($"Dead-lettered {request.Record} (entity {request.EntityType} '{request.EntityId}', stage {request.Stage}) to {_dlqTopic}{cut}: {request.ExceptionMessage}");
            foreach (var replyTo in flight.ReplyTo)
            {
                replyTo.Tell(new DeadLetterWritten(request.Record));
            }
        });
        Receive<Failed>(f =>
        {
            if (!_inFlight.TryGetValue(f.Key, out var flight))
            {
                return;
            }

            PipelineMetrics.DeadLetterWriteFailures.Add(1);
            if (f.SizeRefused)
            {
                // The broker (its topic's max.message.bytes) takes less than the producer: fit the
                // next attempt into half the room.
                flight.Budget = Math.Max(1000, (flight.Budget ?? _maxMessageBytes) / 2);
            }

            var backoff = TimeSpan.FromMilliseconds(Math.Min(_maxBackoff.TotalMilliseconds, _minBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(f.Number, 30) - 1)));
            _log.Error("Writing the dead letter of {0} to {1} failed (attempt {2}): {3}; the offset stays unacknowledged, retrying in {4}",
                flight.Request.Record, _dlqTopic, f.Number, f.Reason, backoff);
            Timers.StartSingleTimer(f.Key, new Attempt(f.Key, f.Number + 1), backoff);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string dlqTopic, string groupId, RenewableProducer producer, int maxMessageBytes, TimeSpan minBackoff, TimeSpan maxBackoff) =>
        Akka.Actor.Props.Create(() => new DeadLetterWriter(dlqTopic, groupId, producer, maxMessageBytes, minBackoff, maxBackoff));

    protected override void PostStop() => _producer.Dispose();

    private static (string Topic, int Partition, long Offset) KeyOf(WriteDeadLetter w) => (w.Record.Topic, w.Record.Partition, w.Record.Offset);

    private void Write(InFlight flight, int attempt)
    {
        var key = KeyOf(flight.Request);
        DeadLetterFit.Letter letter;
        RenewableProducer.Generation generation;
        try
        {
            flight.Budget = Math.Min(flight.Budget ?? _maxMessageBytes, _maxMessageBytes);
            letter = DeadLetterFit.Fit(flight.Request.Record.Key is null ? null : Encoding.UTF8.GetBytes(flight.Request.Record.Key), flight.Request.Record.Value,
                flight.Request.Record.Headers, ContextHeaders(flight.Request), flight.Budget.Value);
            generation = _producer.Current;
        }
        catch (Exception ex)
        {
            Self.Tell(new Failed(key, attempt, ex.Message, SizeRefused: false));
            return;
        }

        var headers = new Headers();
        foreach (var (name, value) in letter.Headers)
        {
            headers.Add(name, value);
        }

        var message = new Message<byte[], byte[]> { Key = letter.Key!, Value = letter.Value!, Headers = headers };
        var self = Self;
        Task<DeliveryResult<byte[], byte[]>> produce;
        try
        {
            produce = generation.Producer.ProduceAsync(_dlqTopic, message);
        }
        catch (Exception ex) when (ex is KafkaException)
        {
            produce = Task.FromException<DeliveryResult<byte[], byte[]>>(ex);
        }

        produce.ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    self.Tell(new Written(key, letter.Cut));
                    return;
                }

                var error = t.Exception?.GetBaseException();
                var fatal = _producer.IsFatal(generation, error);
                var sizeRefused = error is KafkaException kafka && ProduceErrors.IsSizeRefusal(kafka.Error.Code);
                self.Tell(new Failed(key, attempt, (fatal ? "the producer hit a fatal error and is replaced: " : "") + (error?.Message ?? "cancelled"), sizeRefused));
            },
            TaskScheduler.Default);
    }

    private List<KeyValuePair<string, byte[]>> ContextHeaders(WriteDeadLetter w)
    {
        var r = w.Record;
        var headers = new List<KeyValuePair<string, byte[]>>(13);
        void Add(string name, string value) => headers.Add(new($"actorstream.dlq.{name}", Encoding.UTF8.GetBytes(value)));
        Add("original.topic", r.Topic);
        Add("original.partition", r.Partition.ToString(CultureInfo.InvariantCulture));
        Add("original.offset", r.Offset.ToString(CultureInfo.InvariantCulture));
        Add("original.timestamp", r.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Add("consumer.group", _groupId);
        Add("entity.type", w.EntityType);
        Add("entity.id", Bounded(w.EntityId));
        Add("stage", w.Stage);
        Add("exception.type", w.ExceptionType);
        Add("exception.message", Bounded(w.ExceptionMessage));
        Add("attempts", w.Attempts.ToString(CultureInfo.InvariantCulture));
        Add("failed.at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        Add("node", Context.System.Name + "@" + Environment.MachineName);
        return headers;
    }

    // Context headers stay small whatever the record is (the entity id is the key, which may be huge).
    private static string Bounded(string text) => text.Length > MaxMessageLength ? text[..MaxMessageLength] : text;

    private sealed record InFlight(WriteDeadLetter Request)
    {
        public HashSet<IActorRef> ReplyTo { get; } = [];

        /// <summary>The size the letter must fit in: message.max.bytes, less after refusals for size.</summary>
        public int? Budget { get; set; }
    }

    private sealed record Attempt((string Topic, int Partition, long Offset) Key, int Number);

    private sealed record Written((string Topic, int Partition, long Offset) Key, bool Cut);

    private sealed record Failed((string Topic, int Partition, long Offset) Key, int Number, string Reason, bool SizeRefused);
}
