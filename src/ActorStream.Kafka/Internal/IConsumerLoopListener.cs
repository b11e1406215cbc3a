namespace ActorStream.Kafka.Internal;

/// <summary>
/// The source stage's side of the consumer thread. All calls come from the consumer thread and
/// must only hand over to the stage (async callbacks); they must never block.
/// </summary>
internal interface IConsumerLoopListener
{
    /// <summary>New leases (assignment, or restart of a partition's stream).</summary>
    void OnAssigned(IReadOnlyList<PartitionLease> leases);

    /// <summary>Leases whose emission is closed (revoked, lost, or replaced by a restart).</summary>
    void OnRevoked(IReadOnlyList<PartitionLease> leases);

    /// <summary>The consumer failed and cannot go on.</summary>
    void OnFailed(Exception error);

    /// <summary>The consumer was closed.</summary>
    void OnClosed();
}
