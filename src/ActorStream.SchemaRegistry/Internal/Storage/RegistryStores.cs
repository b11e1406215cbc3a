namespace ActorStream.SchemaRegistry.Internal.Storage;

/// <summary>Creates the store the settings ask for.</summary>
internal static class RegistryStores
{
    public static SqlRegistryStore Create(SchemaRegistrySettings settings) => settings.StorageProvider switch
    {
        StorageProvider.PostgreSql => new SqlRegistryStore(new PostgresDialect(settings.PostgresConnectionString)),
        _ => new SqlRegistryStore(new SqliteDialect(settings.SqlitePath)),
    };
}
