using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ActorStream.Kafka.Internal;

namespace ActorStream.Internal.DeadLetters;

/// <summary>
/// The rule that makes every dead letter writable. A dead letter is the original key, value and
/// headers plus the <c>actorstream.dlq.*</c> context headers; a record near the size limit does not
/// fit any more once those are added, and a write that can never succeed would block its partition
/// for good. So when the whole does not fit in <c>budget</c> bytes (the DLQ producer's
/// <c>message.max.bytes</c>, halved after each refusal for size by the broker), parts are cut, in
/// this order, until it fits:
/// <list type="number">
/// <item>the value, to its longest prefix that fits;</item>
/// <item>if even an empty value does not fit: all original headers are left out, and the value gets
/// what is left;</item>
/// <item>if that still does not fit: the key, to its longest prefix (on a UTF-8 character boundary),
/// with an empty value.</item>
/// </list>
/// Each cut part is marked: <c>actorstream.dlq.value.truncated=true</c>,
/// <c>.value.original.size</c> (bytes) and <c>.value.sha256</c> (hex of the original value);
/// <c>.headers.truncated=true</c>, <c>.headers.original.count</c> and <c>.headers.original.size</c>
/// (bytes of names and values); <c>.key.truncated=true</c>, <c>.key.original.size</c> and
/// <c>.key.sha256</c>. A dead letter that fits is written untouched, without marks. The context
/// headers are never cut (their variable parts are bounded where they are made).
/// </summary>
internal static class DeadLetterFit
{
    public const string ValueTruncated = "actorstream.dlq.value.truncated";
    public const string ValueOriginalSize = "actorstream.dlq.value.original.size";
    public const string ValueSha256 = "actorstream.dlq.value.sha256";
    public const string HeadersTruncated = "actorstream.dlq.headers.truncated";
    public const string HeadersOriginalCount = "actorstream.dlq.headers.original.count";
    public const string HeadersOriginalSize = "actorstream.dlq.headers.original.size";
    public const string KeyTruncated = "actorstream.dlq.key.truncated";
    public const string KeyOriginalSize = "actorstream.dlq.key.original.size";
    public const string KeySha256 = "actorstream.dlq.key.sha256";

    /// <summary>What is written: key, value and headers (original ones kept first, then context, then marks).</summary>
    public sealed record Letter(byte[]? Key, byte[]? Value, IReadOnlyList<KeyValuePair<string, byte[]>> Headers)
    {
        /// <summary>True when any part was cut.</summary>
        public bool Cut { get; init; }
    }

    /// <summary>Applies the rule.</summary>
    /// <exception cref="InvalidOperationException">Not even the context headers fit in <paramref name="budget"/>.</exception>
    public static Letter Fit(byte[]? key, byte[]? value, IReadOnlyList<KeyValuePair<string, byte[]>> original,
        IReadOnlyList<KeyValuePair<string, byte[]>> context, long budget)
    {
        if (Size(key, value, [.. original, .. context]) <= budget)
        {
            return new Letter(key, value, [.. original, .. context]);
        }

        var valueMarks = Marks(ValueTruncated, ValueOriginalSize, ValueSha256, value ?? []);
        var room = budget - Size(key, null, [.. original, .. context, .. valueMarks]);
        if (room >= 0)
        {
            return new Letter(key, Prefix(value ?? [], room), [.. original, .. context, .. valueMarks]) { Cut = true };
        }

        var headerBytes = original.Sum(h => (long)Encoding.UTF8.GetByteCount(h.Key) + (h.Value?.Length ?? 0));
        List<KeyValuePair<string, byte[]>> headerMarks =
        [
            Mark(HeadersTruncated, "true"),
            Mark(HeadersOriginalCount, original.Count.ToString(CultureInfo.InvariantCulture)),
            Mark(HeadersOriginalSize, headerBytes.ToString(CultureInfo.InvariantCulture)),
        ];
        room = budget - Size(key, null, [.. context, .. valueMarks, .. headerMarks]);
        if (room >= 0)
        {
            return new Letter(key, Prefix(value ?? [], room), [.. context, .. valueMarks, .. headerMarks]) { Cut = true };
        }

        var keyMarks = Marks(KeyTruncated, KeyOriginalSize, KeySha256, key ?? []);
        List<KeyValuePair<string, byte[]>> headers = [.. context, .. valueMarks, .. headerMarks, .. keyMarks];
        room = budget - Size(null, [], headers);
        if (room < 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"a dead letter needs at least {budget - room:N0} bytes for its context headers, more than message.max.bytes allows ({budget:N0})"));
        }

        return new Letter(Utf8Prefix(key ?? [], room), [], headers) { Cut = true };
    }

    /// <summary>The size librdkafka checks against message.max.bytes, at most.</summary>
    public static long Size(byte[]? key, byte[]? value, IEnumerable<KeyValuePair<string, byte[]>> headers) =>
        ProduceErrors.RecordSize(key?.Length ?? 0, value?.Length ?? 0, headers.Select(h => (h.Key, h.Value?.Length ?? 0)));

    private static List<KeyValuePair<string, byte[]>> Marks(string truncated, string size, string sha, byte[] original) =>
    [
        Mark(truncated, "true"),
        Mark(size, original.Length.ToString(CultureInfo.InvariantCulture)),
        Mark(sha, Convert.ToHexStringLower(SHA256.HashData(original))),
    ];

    private static KeyValuePair<string, byte[]> Mark(string name, string value) => new(name, Encoding.UTF8.GetBytes(value));

    private static byte[] Prefix(byte[] bytes, long room) => bytes.AsSpan(0, (int)Math.Min(bytes.Length, room)).ToArray();

    /// <summary>The longest prefix of at most <paramref name="room"/> bytes that does not split a UTF-8 character.</summary>
    private static byte[] Utf8Prefix(byte[] bytes, long room)
    {
        var length = (int)Math.Min(bytes.Length, room);
        while (length > 0 && length < bytes.Length && (bytes[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return bytes.AsSpan(0, length).ToArray();
    }
}
