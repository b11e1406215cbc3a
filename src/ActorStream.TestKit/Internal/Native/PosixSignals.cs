using System.Runtime.InteropServices;

namespace ActorStream.TestKit.Internal.Native;

/// <summary>Sends POSIX signals to other processes (.NET has no managed API for SIGTERM).</summary>
internal static partial class PosixSignals
{
    /// <summary>SIGTERM on Linux and macOS.</summary>
    internal const int SigTerm = 15;

    /// <summary>SIGINT on Linux and macOS.</summary>
    internal const int SigInt = 2;

    /// <summary>Whether this OS has POSIX signals.</summary>
    internal static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    /// <summary>Sends <paramref name="signal"/> to <paramref name="processId"/>; returns false if it could not be sent.</summary>
    internal static bool Send(int processId, int signal) => IsSupported && Kill(processId, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
