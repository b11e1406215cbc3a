namespace ActorStream.SchemaRegistry.Internal.Compatibility;

/// <summary>One reason a reader cannot read a writer's data: a code (Confluent-like), where, and what.</summary>
internal sealed record Incompatibility(string Code, string Path, string Description)
{
    public override string ToString() => $"{Code} at {Path}: {Description}";
}
