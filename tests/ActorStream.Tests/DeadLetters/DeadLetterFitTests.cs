using System.Security.Cryptography;
using System.Text;
using ActorStream.Internal.DeadLetters;

namespace ActorStream.Tests.DeadLetters;

public class DeadLetterFitTests
{
    private static readonly IReadOnlyList<KeyValuePair<string, byte[]>> Context =
        Enumerable.Range(0, 13).Select(i => new KeyValuePair<string, byte[]>($"actorstream.dlq.h{i}", new byte[40])).ToList();

    [Fact]
    public void A_dead_letter_that_fits_is_written_untouched_without_marks()
    {
        var key = Encoding.UTF8.GetBytes("k");
        var value = new byte[5000];
        List<KeyValuePair<string, byte[]>> original = [new("trace", new byte[10])];
        var letter = DeadLetterFit.Fit(key, value, original, Context, 100_000);
        Assert.False(letter.Cut);
        Assert.Same(value, letter.Value);
        Assert.Equal(key, letter.Key);
        Assert.Equal(original.Concat(Context).Select(h => h.Key), letter.Headers.Select(h => h.Key));
    }

    [Fact]
    public void An_oversized_value_is_cut_to_the_longest_prefix_that_fits_and_marked_with_its_size_and_hash()
    {
        var value = RandomNumberGenerator.GetBytes(200_000);
        List<KeyValuePair<string, byte[]>> original = [new("trace", new byte[10])];
        var letter = DeadLetterFit.Fit([1, 2], value, original, Context, 100_000);

        Assert.True(letter.Cut);
        Assert.Equal(100_000, DeadLetterFit.Size(letter.Key, letter.Value, letter.Headers));
        Assert.Equal(value.AsSpan(0, letter.Value!.Length).ToArray(), letter.Value);
        Assert.Equal("true", Header(letter, DeadLetterFit.ValueTruncated));
        Assert.Equal("200000", Header(letter, DeadLetterFit.ValueOriginalSize));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(value)), Header(letter, DeadLetterFit.ValueSha256));
        Assert.Contains(letter.Headers, h => h.Key == "trace");
        Assert.DoesNotContain(letter.Headers, h => h.Key == DeadLetterFit.HeadersTruncated || h.Key == DeadLetterFit.KeyTruncated);
    }

    [Fact]
    public void Oversized_original_headers_are_left_out_with_their_count_and_size_and_the_value_gets_the_rest()
    {
        List<KeyValuePair<string, byte[]>> original = [new("big", new byte[150_000]), new("small", new byte[3])];
        var value = new byte[10_000];
        var letter = DeadLetterFit.Fit([1], value, original, Context, 100_000);

        Assert.DoesNotContain(letter.Headers, h => h.Key is "big" or "small");
        Assert.Equal("true", Header(letter, DeadLetterFit.HeadersTruncated));
        Assert.Equal("2", Header(letter, DeadLetterFit.HeadersOriginalCount));
        Assert.Equal(((long)"big".Length + 150_000 + "small".Length + 3).ToString(), Header(letter, DeadLetterFit.HeadersOriginalSize));
        Assert.Equal("true", Header(letter, DeadLetterFit.ValueTruncated)); // marked as cut, although all of it still fit
        Assert.Equal(value.Length, letter.Value!.Length);
        Assert.True(DeadLetterFit.Size(letter.Key, letter.Value, letter.Headers) <= 100_000);
    }

    [Fact]
    public void An_oversized_key_is_cut_on_a_character_boundary_with_an_empty_value_and_marked()
    {
        var key = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("é", 80_000))); // 2 bytes each
        var letter = DeadLetterFit.Fit(key, new byte[10], [], Context, 100_000);

        Assert.Equal("true", Header(letter, DeadLetterFit.KeyTruncated));
        Assert.Equal("160000", Header(letter, DeadLetterFit.KeyOriginalSize));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key)), Header(letter, DeadLetterFit.KeySha256));
        Assert.Empty(letter.Value!);
        Assert.Equal(0, letter.Key!.Length % 2);
        Assert.Equal(key.AsSpan(0, letter.Key.Length).ToArray(), letter.Key);
        Assert.True(DeadLetterFit.Size(letter.Key, letter.Value, letter.Headers) <= 100_000);
    }

    [Fact]
    public void A_budget_too_small_for_the_context_headers_is_refused_naming_both_sizes()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => DeadLetterFit.Fit([1], [1], [], Context, 500));
        Assert.Contains("more than message.max.bytes allows (500)", ex.Message);
    }

    private static string Header(DeadLetterFit.Letter letter, string name) => Encoding.UTF8.GetString(letter.Headers.Single(h => h.Key == name).Value);
}
