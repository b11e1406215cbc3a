using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ActorStream.SchemaRegistry.Internal.Json;
using ActorStream.SchemaRegistry.Internal.Storage;

namespace ActorStream.SchemaRegistry.Internal;

/// <summary>A validated schema ready to store or compare: its graph (with references) and its identity.</summary>
internal sealed record PreparedSchema(NewSchema Schema, SchemaGraph Graph);

/// <summary>
/// Turns request bodies and stored schemas into <see cref="SchemaGraph"/>s: resolves references to registered
/// subject versions (transitively), checks the JSON Schema syntax, computes the canonical text and fingerprint.
/// Graphs of stored schemas are cached by id (a stored schema never changes).
/// </summary>
internal sealed class SchemaPreparer(IRegistryStore store)
{
    private const int MaxReferenceDepth = 32;
    private readonly ConcurrentDictionary<int, SchemaGraph> _graphs = new();

    public async Task<PreparedSchema> PrepareAsync(SchemaRequest request, CancellationToken cancellationToken)
    {
        var references = new List<SchemaReference>();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in request.References)
        {
            var resolved = await ResolveVersionAsync(reference, cancellationToken);
            references.Add(resolved);
            await CollectAsync(resolved, texts, 0, cancellationToken);
        }

        SchemaGraph graph;
        try
        {
            graph = SchemaGraph.Parse(request.Schema, texts);
            SchemaSyntax.Validate(graph);
        }
        catch (InvalidSchemaException ex)
        {
            throw RegistryErrors.InvalidSchema(ex.Message);
        }

        var canonical = CanonicalJson.Serialize(graph.Root.Element);
        var identity = new StringBuilder(request.SchemaType).Append('\n').Append(canonical);
        foreach (var reference in references)
        {
            identity.Append('\n').Append(reference.Name).Append('\0').Append(reference.Subject).Append('\0').Append(reference.Version);
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())));
        return new PreparedSchema(new NewSchema(fingerprint, request.SchemaType, request.Schema, canonical, references), graph);
    }

    /// <summary>The graph of a stored schema (its references loaded from the store).</summary>
    public async Task<SchemaGraph> GraphAsync(StoredSchema schema, CancellationToken cancellationToken)
    {
        if (_graphs.TryGetValue(schema.Id, out var cached))
        {
            return cached;
        }

        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in schema.References)
        {
            await CollectAsync(reference, texts, 0, cancellationToken);
        }

        try
        {
            var graph = SchemaGraph.Parse(schema.Text, texts);
            _graphs[schema.Id] = graph;
            return graph;
        }
        catch (InvalidSchemaException ex)
        {
            throw RegistryErrors.InvalidSchema($"stored schema {schema.Id}: {ex.Message}");
        }
    }

    private async Task<SchemaReference> ResolveVersionAsync(SchemaReference reference, CancellationToken cancellationToken)
    {
        var versions = (await store.GetVersionsAsync(reference.Subject, cancellationToken)).Where(v => !v.Deleted).ToList();
        var match = reference.Version == -1 ? versions.LastOrDefault() : versions.FirstOrDefault(v => v.Version == reference.Version);
        return match is null
            ? throw RegistryErrors.InvalidSchema($"reference '{reference.Name}' points to subject '{reference.Subject}' version {reference.Version}, which is not registered")
            : reference with { Version = match.Version };
    }

    private async Task CollectAsync(SchemaReference reference, Dictionary<string, string> texts, int depth, CancellationToken cancellationToken)
    {
        if (depth > MaxReferenceDepth || texts.ContainsKey(reference.Name))
        {
            return;
        }

        var version = (await store.GetVersionsAsync(reference.Subject, cancellationToken)).FirstOrDefault(v => v.Version == reference.Version)
            ?? throw RegistryErrors.InvalidSchema($"reference '{reference.Name}' points to subject '{reference.Subject}' version {reference.Version}, which does not exist");
        var schema = await store.GetSchemaAsync(version.SchemaId, cancellationToken)
            ?? throw RegistryErrors.InvalidSchema($"reference '{reference.Name}': schema {version.SchemaId} is missing");
        texts[reference.Name] = schema.Text;
        foreach (var nested in schema.References)
        {
            await CollectAsync(nested, texts, depth + 1, cancellationToken);
        }
    }
}
