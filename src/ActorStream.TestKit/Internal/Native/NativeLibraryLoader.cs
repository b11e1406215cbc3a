using System.Reflection;
using System.Runtime.InteropServices;

namespace ActorStream.TestKit.Internal.Native;

/// <summary>
/// Finds and loads the librdkafka native library, preferring the very file Confluent.Kafka already
/// loaded into this process, so that the mock cluster and the Confluent clients share one copy of
/// librdkafka (two copies in one process would each have their own global state).
/// </summary>
/// <remarks>
/// Resolution order:
/// <list type="number">
/// <item>Ask Confluent.Kafka to load its library (<c>Library.Load()</c>), which on Linux falls back from
/// <c>librdkafka.so</c> (needs <c>libsasl2.so.3</c>) to <c>centos8-librdkafka.so</c> and <c>alpine-librdkafka.so</c>.</item>
/// <item>On Linux, read <c>/proc/self/maps</c> and load exactly the librdkafka file that is mapped.</item>
/// <item>Otherwise probe the same names Confluent.Kafka uses, first through the runtime's native probing for
/// the Confluent.Kafka assembly (deps.json), then in <c>runtimes/&lt;rid&gt;/native</c> below the application
/// directory, the Confluent.Kafka directory and this assembly's directory, then those directories themselves.</item>
/// </list>
/// Every candidate must export <c>rd_kafka_mock_cluster_new</c>.
/// </remarks>
internal static class NativeLibraryLoader
{
    internal const string ProbeExport = "rd_kafka_mock_cluster_new";

    private static readonly Lazy<LoadedNativeLibrary> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The loaded library (loads it on first use; throws <see cref="EmbeddedKafkaException"/> if impossible).</summary>
    internal static LoadedNativeLibrary Library => Loaded.Value;

    private static LoadedNativeLibrary Load()
    {
        var attempts = new List<string>();

        try
        {
            Confluent.Kafka.Library.Load();
        }
        catch (Exception ex)
        {
            attempts.Add($"Confluent.Kafka.Library.Load(): {ex.GetType().Name}: {ex.Message}");
        }

        if (OperatingSystem.IsLinux())
        {
            var mapped = FindMappedLinuxLibrary();
            if (mapped is not null)
            {
                if (TryLoadPath(mapped, attempts, out var handle))
                {
                    return new LoadedNativeLibrary(handle, mapped);
                }
            }
            else
            {
                attempts.Add("/proc/self/maps: no librdkafka mapped by Confluent.Kafka");
            }
        }

        var confluentAssembly = typeof(Confluent.Kafka.Library).Assembly;
        foreach (var name in CandidateLibraryNames())
        {
            if (NativeLibrary.TryLoad(name, confluentAssembly, null, out var handle))
            {
                if (HasMockApi(handle))
                {
                    return new LoadedNativeLibrary(handle, name + " (runtime probing for Confluent.Kafka)");
                }

                attempts.Add($"{name}: loaded but has no export {ProbeExport}");
            }
            else
            {
                attempts.Add($"{name}: not found by runtime probing");
            }
        }

        foreach (var path in CandidatePaths())
        {
            if (File.Exists(path) && TryLoadPath(path, attempts, out var handle))
            {
                return new LoadedNativeLibrary(handle, path);
            }
        }

        throw new EmbeddedKafkaException(
            "Could not load the librdkafka native library with the mock cluster API (librdkafka.redist). Attempts: "
            + string.Join("; ", attempts));
    }

    private static bool TryLoadPath(string path, List<string> attempts, out IntPtr handle)
    {
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            attempts.Add($"{path}: {ex.Message}");
            handle = IntPtr.Zero;
            return false;
        }

        if (HasMockApi(handle))
        {
            return true;
        }

        attempts.Add($"{path}: loaded but has no export {ProbeExport}");
        handle = IntPtr.Zero;
        return false;
    }

    private static bool HasMockApi(IntPtr handle) => NativeLibrary.TryGetExport(handle, ProbeExport, out _);

    /// <summary>Library names in Confluent.Kafka's order of preference for this OS.</summary>
    internal static IReadOnlyList<string> CandidateLibraryNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["librdkafka"];
        }

        if (OperatingSystem.IsMacOS())
        {
            return ["librdkafka"];
        }

        return ["librdkafka", "centos8-librdkafka", "alpine-librdkafka"];
    }

    private static IReadOnlyList<string> CandidateFileNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["librdkafka.dll"];
        }

        if (OperatingSystem.IsMacOS())
        {
            return ["librdkafka.dylib"];
        }

        return ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];
    }

    /// <summary>The runtime identifier whose native assets match this process (e.g. <c>linux-x64</c>).</summary>
    internal static string RuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            Architecture.S390x => "s390x",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{os}-{arch}";
    }

    private static IEnumerable<string> CandidatePaths()
    {
        var directories = new List<string>();
        void AddDirectory(string? directory)
        {
            if (!string.IsNullOrEmpty(directory) && !directories.Contains(directory, StringComparer.Ordinal))
            {
                directories.Add(directory);
            }
        }

        AddDirectory(AppContext.BaseDirectory);
        AddDirectory(DirectoryOf(typeof(Confluent.Kafka.Library).Assembly));
        AddDirectory(DirectoryOf(typeof(NativeLibraryLoader).Assembly));

        var rid = RuntimeIdentifier();
        foreach (var directory in directories)
        {
            foreach (var file in CandidateFileNames())
            {
                yield return Path.Combine(directory, "runtimes", rid, "native", file);
            }
        }

        foreach (var directory in directories)
        {
            foreach (var file in CandidateFileNames())
            {
                yield return Path.Combine(directory, file);
            }
        }
    }

    private static string? DirectoryOf(Assembly assembly)
    {
        var location = assembly.Location;
        return string.IsNullOrEmpty(location) ? null : Path.GetDirectoryName(location);
    }

    /// <summary>
    /// The librdkafka files currently mapped into this process according to <c>/proc/self/maps</c> (Linux only;
    /// empty elsewhere or when unreadable).
    /// </summary>
    internal static IReadOnlyList<string> MappedLinuxLibraries()
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/self/maps");
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }

        var result = new List<string>();
        foreach (var line in lines)
        {
            // address perms offset dev inode pathname (the pathname may contain spaces)
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6)
            {
                continue;
            }

            var path = fields[5].Trim();
            if (!path.StartsWith('/'))
            {
                continue;
            }

            var file = Path.GetFileName(path);
            if (file.Contains("rdkafka", StringComparison.Ordinal)
                && file.Contains(".so", StringComparison.Ordinal)
                && !path.EndsWith(" (deleted)", StringComparison.Ordinal)
                && !result.Contains(path, StringComparer.Ordinal))
            {
                result.Add(path);
            }
        }

        return result;
    }

    private static string? FindMappedLinuxLibrary()
    {
        var mapped = MappedLinuxLibraries();
        return mapped.Count > 0 ? mapped[0] : null;
    }
}

/// <summary>A loaded librdkafka and where it came from (for diagnostics).</summary>
internal sealed record LoadedNativeLibrary(IntPtr Handle, string Source);
