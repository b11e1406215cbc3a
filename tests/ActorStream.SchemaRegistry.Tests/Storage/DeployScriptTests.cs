using System.Text.RegularExpressions;
using ActorStream.SchemaRegistry.Internal.Storage;
using Xunit;

namespace ActorStream.SchemaRegistry.Tests.Storage;

/// <summary>
/// deploy/sql/schema-registry-postgres.sql is what a DBA runs ahead of time; the registry runs its own
/// copy of the DDL when it may create tables. The two must not drift apart.
/// </summary>
public sealed class DeployScriptTests
{
    [Fact]
    public void The_deploy_script_holds_every_statement_the_registry_runs_on_PostgreSQL()
    {
        // Comments (whole lines or after a column) are the script's own; the DDL has no "--" in literals.
        var script = Normalize(Regex.Replace(File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "sql", "schema-registry-postgres.sql")), "--[^\n]*", ""));
        var dialect = new PostgresDialect("Host=localhost;Database=registry");

        Assert.NotEmpty(dialect.CreateTables);
        Assert.All(dialect.CreateTables, statement => Assert.Contains(Normalize(statement), script));
    }

    private static string Normalize(string sql) => Regex.Replace(sql, @"\s+", " ").Trim().TrimEnd(';');

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActorStream.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ActorStream.sln not found above " + AppContext.BaseDirectory);
    }
}
