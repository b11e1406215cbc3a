namespace ActorStream.Tests.Persistence;

/// <summary>A SQLite file in its own temporary directory, deleted with <see cref="Delete"/>.</summary>
public sealed class TempStore
{
    public TempStore(string prefix)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        File = Path.Combine(Directory, "state.db");
    }

    public string Directory { get; }

    public string File { get; }

    public string Hocon => $"actorstream.persistence.sqlite.path = \"{File}\"";

    public void Delete()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
