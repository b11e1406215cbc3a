using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorStream.Host.Sample;

/// <summary>An input record of the sample <c>accounts</c> topic, keyed by <see cref="AccountId"/>.</summary>
internal sealed record AccountTransaction(
    [property: JsonPropertyName("accountId")] string AccountId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("amount")] decimal Amount);

/// <summary>An output record of the sample <c>accounts.balances</c> topic, keyed by <see cref="AccountId"/>.</summary>
internal sealed record AccountBalance(
    [property: JsonPropertyName("accountId")] string AccountId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("balance")] decimal Balance);

/// <summary>The sample's topic names and JSON encoding (DESIGN.md, "Sample pipeline").</summary>
internal static class AccountsSample
{
    public const string InputTopic = "accounts";
    public const string BalancesTopic = "accounts.balances";
    public const string DeadLetterTopic = "accounts.dlq";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Parses a transaction; null with a reason when the bytes are not a valid one.</summary>
    public static AccountTransaction? TryParse(byte[]? value, string? key, out string? error)
    {
        error = null;
        if (value is null)
        {
            error = "value is null";
            return null;
        }

        try
        {
            var tx = JsonSerializer.Deserialize<AccountTransaction>(value, Json);
            if (tx is null || string.IsNullOrEmpty(tx.AccountId))
            {
                error = "missing accountId";
                return null;
            }

            if (key is not null && key != tx.AccountId)
            {
                error = $"key '{key}' differs from accountId '{tx.AccountId}'";
                return null;
            }

            return tx;
        }
        catch (JsonException ex)
        {
            error = $"not a JSON account transaction: {ex.Message}";
            return null;
        }
    }
}
