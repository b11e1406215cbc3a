namespace ActorStream.SchemaRegistry;

/// <summary>Where the registry keeps subjects, versions, schemas and configuration.</summary>
public enum StorageProvider
{
    /// <summary>A local SQLite file (WAL mode); the default.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database through Npgsql.</summary>
    PostgreSql,
}
