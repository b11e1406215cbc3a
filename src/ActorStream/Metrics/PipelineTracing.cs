using System.Diagnostics;
using System.Text;
using ActorStream.Entities;

namespace ActorStream.Metrics;

/// <summary>
/// Traces (activity source <c>ActorStream</c>): one span per record, from the moment the partition
/// stream takes it until it is acknowledged (processed or dead-lettered). The span continues the
/// W3C trace context of the record's <c>traceparent</c> header, and records the entity emits carry
/// the span's context in their own <c>traceparent</c> header.
/// </summary>
public static class PipelineTracing
{
    /// <summary>Name of the activity source (subscribe to it with OpenTelemetry: <c>AddSource("ActorStream")</c>).</summary>
    public const string SourceName = "ActorStream";

    /// <summary>The W3C trace-context header.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C trace-state header.</summary>
    public const string TraceStateHeader = "tracestate";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts the span of <paramref name="record"/> without making it the ambient activity (the
    /// stage handles many records on one thread; the span ends on acknowledgement).
    /// </summary>
    internal static Activity? StartProcessing(KafkaRecord record, string pipeline, string groupId, string entityId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(Header(record, TraceParentHeader), Header(record, TraceStateHeader), isRemote: true, out var parent);
        var previous = Activity.Current;
        var activity = Source.CreateActivity($"process {record.Topic}", ActivityKind.Consumer, parent);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("messaging.system", "kafka");
        activity.SetTag("messaging.operation.type", "process");
        activity.SetTag("messaging.destination.name", record.Topic);
        activity.SetTag("messaging.destination.partition.id", record.Partition);
        activity.SetTag("messaging.kafka.offset", record.Offset);
        activity.SetTag("messaging.consumer.group.name", groupId);
        activity.SetTag("actorstream.pipeline", pipeline);
        activity.SetTag("actorstream.entity.id", entityId);
        activity.Start();
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends the span with the record's outcome.</summary>
    internal static void Stop(Activity? activity, string outcome, bool error = false)
    {
        if (activity is null)
        {
            return;
        }

        var previous = Activity.Current;
        activity.SetTag("actorstream.outcome", outcome);
        if (error)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }

        activity.Stop();
        Activity.Current = previous;
    }

    /// <summary>The <c>traceparent</c> value of <paramref name="activity"/>.</summary>
    internal static string? TraceParent(Activity? activity) => activity?.Id is { } id && activity.IdFormat == ActivityIdFormat.W3C ? id : null;

    private static string? Header(KafkaRecord record, string name)
    {
        for (var i = record.Headers.Count - 1; i >= 0; i--)
        {
            if (record.Headers[i].Key == name)
            {
                return Encoding.UTF8.GetString(record.Headers[i].Value);
            }
        }

        return null;
    }
}
