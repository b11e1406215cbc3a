namespace ActorStream.Host.Cli;

/// <summary>Process exit codes of the actorstream CLI.</summary>
internal static class ExitCodes
{
    /// <summary>Finished normally, including a clean stop on SIGINT/SIGTERM.</summary>
    public const int Success = 0;

    /// <summary>A runtime failure (e.g. the control port is in use).</summary>
    public const int Failure = 1;

    /// <summary>Invalid command line: nothing was started and nothing was written to stdout.</summary>
    public const int Usage = 2;
}
