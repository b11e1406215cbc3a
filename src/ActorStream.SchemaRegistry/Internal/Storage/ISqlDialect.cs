using System.Data.Common;

namespace ActorStream.SchemaRegistry.Internal.Storage;

/// <summary>What differs between the SQL databases the store runs on: connections, DDL and write locking.</summary>
internal interface ISqlDialect : IAsyncDisposable
{
    /// <summary>For logs, e.g. "sqlite:data/actorstream.db".</summary>
    string Description { get; }

    /// <summary>DDL creating the tables if they are missing; run in order on start.</summary>
    IReadOnlyList<string> CreateTables { get; }

    /// <summary>An open connection.</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A transaction that holds the registry's write lock until it ends (one writer at a time, across processes).</summary>
    Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);
}
