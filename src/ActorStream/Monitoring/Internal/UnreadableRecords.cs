using System.Globalization;
using ActorStream.Pipelines.Settings;

namespace ActorStream.Monitoring.Internal;

/// <summary>One record of a pipeline dead-lettered because its value could not be read (stage deserialize or schema).</summary>
internal sealed record UnreadableRecord(
    string Pipeline, string Topic, int Partition, long Offset, string Stage, string ExceptionType, string Message, ValueFormat ValueFormat, string DlqTopic);

/// <summary>
/// Turns dead letters of stage deserialize/schema into one diagnostic per pipeline and topic
/// (pure: the caller supplies the time): how many in the window, by stage, the last error, and a
/// fix that points at schema compatibility. A condition holds while records keep failing within the
/// window; it ends when none did for a whole window. Not thread-safe: the caller locks.
/// </summary>
internal sealed class UnreadableRecords
{
    private const int MaxMessageLength = 300;

    private readonly TimeSpan _window;
    private readonly Dictionary<(string Pipeline, string Topic), Entry> _entries = [];

    public UnreadableRecords(TimeSpan window)
    {
        _window = window;
    }

    /// <summary>The diagnostic id of a pipeline's topic: <c>serialization/&lt;pipeline&gt;/&lt;topic&gt;</c>.</summary>
    public static string IdOf(string pipeline, string topic) => $"serialization/{pipeline}/{topic}";

    /// <summary>Counts <paramref name="record"/> and returns the diagnostic as it stands now.</summary>
    public (string Id, string Condition, string Fix) Add(UnreadableRecord record, DateTimeOffset now)
    {
        var key = (record.Pipeline, record.Topic);
        if (!_entries.TryGetValue(key, out var entry))
        {
            _entries[key] = entry = new Entry();
        }

        entry.Prune(now - _window);
        entry.Times.Enqueue((now, record.Stage));
        entry.Last = record;
        return (IdOf(record.Pipeline, record.Topic), Condition(entry), Fix(record));
    }

    /// <summary>Ids of conditions that ended: no unreadable record of the topic within the window.</summary>
    public IReadOnlyList<string> Expire(DateTimeOffset now)
    {
        var ended = new List<string>();
        foreach (var (key, entry) in _entries.ToList())
        {
            entry.Prune(now - _window);
            if (entry.Times.Count == 0)
            {
                _entries.Remove(key);
                ended.Add(IdOf(key.Pipeline, key.Topic));
            }
        }

        return ended;
    }

    private string Condition(Entry entry)
    {
        var last = entry.Last!;
        var byStage = string.Join(", ", entry.Times.GroupBy(t => t.Stage).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        var message = last.Message.Length > MaxMessageLength ? last.Message[..MaxMessageLength] + "…" : last.Message;
        return string.Create(CultureInfo.InvariantCulture,
            $"pipeline {last.Pipeline}: {entry.Times.Count} record(s) of topic {last.Topic} could not be read and were dead-lettered to {last.DlqTopic} " +
            $"within the last {Format(_window)} ({byStage}); last: {last.Topic}[{last.Partition}]@{last.Offset}, stage {last.Stage}, {last.ExceptionType}: {message}");
    }

    private static string Fix(UnreadableRecord r)
    {
        var subject = $"{r.Topic}-value";
        var dlq = $"`actorstream dlq list --topic {r.DlqTopic}` shows them, `actorstream dlq replay --topic {r.DlqTopic} --all` processes them again once fixed";
        if (r.ValueFormat == ValueFormat.Json)
        {
            return $"producers write values that are not JSON of the entity's value type: align them, and put the topic under schema control " +
                $"(value-format = json-schema or json-validated with subject '{subject}' at compatibility level BACKWARD or stricter, " +
                $"and `actorstream schemas check --subject {subject} --file <schema>` before a producer ships a change); {dlq}";
        }

        if (r.Stage == "deserialize")
        {
            return $"values pass the schema of subject '{subject}' but do not decode as the entity's value type: the schema allows what the entity cannot read; " +
                $"tighten the schema or the entity's type, check the change with `actorstream schemas check --subject {subject} --file <schema>` and keep the " +
                $"subject's compatibility level (GET /config/{subject} on the registry) at BACKWARD or stricter; {dlq}";
        }

        return $"producers write values that do not match subject '{subject}': compare the producers' schema with its latest version " +
            $"(`actorstream schemas check --subject {subject} --file <producer schema>`) and check the subject's compatibility level " +
            $"(GET /config/{subject} on the registry; BACKWARD or stricter makes the registry refuse a change that breaks this pipeline); {dlq}";
    }

    private static string Format(TimeSpan span) =>
        span.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:0.#} min") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s");

    private sealed class Entry
    {
        public Queue<(DateTimeOffset At, string Stage)> Times { get; } = new();

        public UnreadableRecord? Last { get; set; }

        public void Prune(DateTimeOffset before)
        {
            while (Times.Count > 0 && Times.Peek().At < before)
            {
                Times.Dequeue();
            }
        }
    }
}
