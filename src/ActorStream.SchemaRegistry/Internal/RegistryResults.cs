using ActorStream.SchemaRegistry.Internal.Storage;

namespace ActorStream.SchemaRegistry.Internal;

/// <summary>A subject version with its schema, as the REST API returns it.</summary>
internal sealed record VersionedSchema(SubjectVersion Version, StoredSchema Schema);

/// <summary>The result of a compatibility check: compatible or not, and why.</summary>
internal sealed record CompatibilityResult(bool IsCompatible, IReadOnlyList<string> Messages);
