namespace ActorStream.Monitoring;

/// <summary>
/// A known Kafka/cluster condition recognised on this node, with its cause and its fix: logged once,
/// counted, and listed (<c>/api/cluster</c>, <c>actorstream cluster status</c>) while it holds.
/// </summary>
/// <param name="Id">Identity of the condition (kind and subject).</param>
/// <param name="Condition">What was seen.</param>
/// <param name="Fix">What to do about it.</param>
/// <param name="Count">How many times it was seen.</param>
/// <param name="FirstSeen">When it was first seen.</param>
/// <param name="LastSeen">When it was last seen.</param>
public sealed record Diagnostic(string Id, string Condition, string Fix, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
