using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorStream.Host.Sample;

/// <summary>An input record of the sample <c>accounts</c> topic, keyed by <see cref="AccountId"/>.</summary>
/// <param name="AccountId">The account (also the record key).</param>
/// <param name="Seq">Per-account sequence number, from 1.</param>
/// <param name="Amount">Signed amount added to the balance.</param>
public sealed record AccountTransaction(
    [property: JsonPropertyName("accountId")] string AccountId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("amount")] decimal Amount);

/// <summary>An output record of the sample <c>accounts.balances</c> topic, keyed by <see cref="AccountId"/>.</summary>
/// <param name="AccountId">The account (also the record key).</param>
/// <param name="Seq">Seq of the last applied transaction.</param>
/// <param name="Balance">Balance after it.</param>
public sealed record AccountBalance(
    [property: JsonPropertyName("accountId")] string AccountId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("balance")] decimal Balance);

/// <summary>The journaled event of the sample Account entity: a transaction was applied.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="Seq">The transaction's seq.</param>
/// <param name="Amount">The amount applied.</param>
/// <param name="Balance">The balance after it.</param>
[ActorStream.Persistence.EventType("AmountApplied", 1)]
public sealed record AmountApplied(
    [property: JsonPropertyName("accountId")] string AccountId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("amount")] decimal Amount,
    [property: JsonPropertyName("balance")] decimal Balance);

/// <summary>The state of a sample Account entity (also its snapshot, as JSON).</summary>
/// <param name="LastSeq">Seq of the last applied transaction (0 = none).</param>
/// <param name="Balance">The balance.</param>
public sealed record AccountState(
    [property: JsonPropertyName("lastSeq")] long LastSeq,
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
}
