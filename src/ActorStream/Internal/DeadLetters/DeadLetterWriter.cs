using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Event;
using ActorStream.Internal.Protocol;
using ActorStream.Metrics;
using Confluent.Kafka;

namespace ActorStream.Internal.DeadLetters;

/// <summary>
/// Writes dead letters of one pipeline to its DLQ topic with the idempotent producer (acks=all): the
/// original key, value and headers untouched, plus the <c>actorstream.dlq.*</c> context headers. The
/// requester is told only after the broker acknowledged the write; a failed write is logged, counted
/// and retried with backoff until it succeeds, so the source offset is never acknowledged for a
/// record that is neither processed nor safely dead-lettered.
/// </summary>
internal sealed class DeadLetterWriter : ReceiveActor, IWithTimers
{
    private const int MaxMessageLength = 1000;

    private readonly string _dlqTopic;
    private readonly string _groupId;
    private readonly Func<IProducer<byte[], byte[]>> _producerFactory;
    private readonly TimeSpan _minBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IProducer<byte[], byte[]>? _producer;

    public DeadLetterWriter(string dlqTopic, string groupId, Func<IProducer<byte[], byte[]>> producerFactory, TimeSpan minBackoff, TimeSpan maxBackoff)
    {
        _dlqTopic = dlqTopic;
        _groupId = groupId;
        _producerFactory = producerFactory;
        _minBackoff = minBackoff;
        _maxBackoff = maxBackoff;
        Receive<WriteDeadLetter>(w => Write(w, 1));
        Receive<Attempt>(a => Write(a.Request, a.Number));
        Receive<Written>(w =>
        {
            PipelineMetrics.RecordsDeadLettered.Add(1);
            _log.Info("Dead-lettered {0} (entity {1} '{2}', stage {3}) to {4}: {5}",
                w.Request.Record, w.Request.EntityType, w.Request.EntityId, w.Request.Stage, _dlqTopic, w.Request.ExceptionMessage);
            w.Request.ReplyTo.Tell(new DeadLetterWritten(w.Request.Record));
        });
        Receive<Failed>(f =>
        {
            PipelineMetrics.DeadLetterWriteFailures.Add(1);
            var backoff = TimeSpan.FromMilliseconds(Math.Min(_maxBackoff.TotalMilliseconds, _minBackoff.TotalMilliseconds * Math.Pow(2, f.Number - 1)));
            _log.Error("Writing the dead letter of {0} to {1} failed (attempt {2}): {3}; the offset stays unacknowledged, retrying in {4}",
                f.Request.Record, _dlqTopic, f.Number, f.Reason, backoff);
            Timers.StartSingleTimer($"retry-{f.Request.Record}", new Attempt(f.Request, f.Number + 1), backoff);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string dlqTopic, string groupId, Func<IProducer<byte[], byte[]>> producerFactory, TimeSpan minBackoff, TimeSpan maxBackoff) =>
        Akka.Actor.Props.Create(() => new DeadLetterWriter(dlqTopic, groupId, producerFactory, minBackoff, maxBackoff));

    protected override void PostStop()
    {
        if (_producer is not null)
        {
            _producer.Flush(TimeSpan.FromSeconds(10));
            _producer.Dispose();
        }
    }

    private void Write(WriteDeadLetter request, int attempt)
    {
        Message<byte[], byte[]> message;
        try
        {
            _producer ??= _producerFactory();
            message = ToMessage(request);
        }
        catch (Exception ex)
        {
            Self.Tell(new Failed(request, attempt, ex.Message));
            return;
        }

        var self = Self;
        _producer.ProduceAsync(_dlqTopic, message).ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    self.Tell(new Written(request));
                }
                else
                {
                    self.Tell(new Failed(request, attempt, t.Exception?.GetBaseException().Message ?? "cancelled"));
                }
            },
            TaskScheduler.Default);
    }

    private Message<byte[], byte[]> ToMessage(WriteDeadLetter w)
    {
        var r = w.Record;
        var headers = new Headers();
        foreach (var (key, value) in r.Headers)
        {
            headers.Add(key, value);
        }

        void Add(string name, string value) => headers.Add($"actorstream.dlq.{name}", Encoding.UTF8.GetBytes(value));
        Add("original.topic", r.Topic);
        Add("original.partition", r.Partition.ToString(CultureInfo.InvariantCulture));
        Add("original.offset", r.Offset.ToString(CultureInfo.InvariantCulture));
        Add("original.timestamp", r.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Add("consumer.group", _groupId);
        Add("entity.type", w.EntityType);
        Add("entity.id", w.EntityId);
        Add("stage", w.Stage);
        Add("exception.type", w.ExceptionType);
        Add("exception.message", w.ExceptionMessage.Length > MaxMessageLength ? w.ExceptionMessage[..MaxMessageLength] : w.ExceptionMessage);
        Add("attempts", w.Attempts.ToString(CultureInfo.InvariantCulture));
        Add("failed.at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        Add("node", Context.System.Name + "@" + Environment.MachineName);
        return new Message<byte[], byte[]>
        {
            Key = r.Key is null ? null! : Encoding.UTF8.GetBytes(r.Key),
            Value = r.Value!,
            Headers = headers,
        };
    }

    private sealed record Attempt(WriteDeadLetter Request, int Number);

    private sealed record Written(WriteDeadLetter Request);

    private sealed record Failed(WriteDeadLetter Request, int Number, string Reason);
}
