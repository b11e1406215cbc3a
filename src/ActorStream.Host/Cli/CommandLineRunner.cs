using System.CommandLine;

namespace ActorStream.Host.Cli;

/// <summary>
/// Parses and runs the command line. Parse errors go to stderr only (stdout is a contract other processes read,
/// e.g. the first line of <c>actorstream kafka</c>) and exit with <see cref="ExitCodes.Usage"/>.
/// </summary>
internal static class CommandLineRunner
{
    /// <summary>
    /// How long a command may take to clean up after SIGINT/SIGTERM before the process is ended anyway:
    /// above a node's own drain budget (coordinated shutdown's service-requests-done, 30 s, then hand-off
    /// and leave), so that a draining node is never cut off (it then exits 143 with records in flight).
    /// </summary>
    public static readonly TimeSpan TerminationTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            var command = string.Join(' ', parseResult.CommandResult.Command is RootCommand
                ? ["actorstream"]
                : new[] { "actorstream" }.Concat(CommandPath(parseResult.CommandResult.Command)));
            foreach (var parseError in parseResult.Errors)
            {
                await error.WriteLineAsync($"{command}: error: {parseError.Message}");
            }

            await error.WriteLineAsync($"Run '{command} --help' for usage.");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            ProcessTerminationTimeout = TerminationTimeout,
        };
        return await parseResult.InvokeAsync(configuration);
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null and not RootCommand; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }

        return names;
    }
}
