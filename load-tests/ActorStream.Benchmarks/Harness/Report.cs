using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActorStream.Benchmarks.Harness;

/// <summary>JSON result files and Markdown tables for comparisons against a baseline variant.</summary>
public static class Report
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The <c>variants</c> array: per variant <c>name</c>, <c>msgs_per_s</c>, <c>cpu_us_per_msg</c>
    /// (medians over the rounds), ratios against <paramref name="baseline"/> and every run.
    /// </summary>
    public static JsonArray Variants(IReadOnlyList<VariantRuns> runs, string baseline, Func<VariantRuns, IEnumerable<KeyValuePair<string, JsonNode?>>>? extra = null)
    {
        var baseRuns = runs.FirstOrDefault(r => r.Name == baseline);
        var array = new JsonArray();
        foreach (var v in runs)
        {
            var o = new JsonObject
            {
                ["name"] = v.Name,
                ["msgs_per_s"] = Round(v.MedianMsgsPerSecond, 1),
                ["cpu_us_per_msg"] = Round(v.MedianCpuMicrosPerMsg, 3),
                ["ratio_vs_raw"] = baseRuns is null ? null : Round(v.MedianMsgsPerSecond / baseRuns.MedianMsgsPerSecond, 3),
                ["cpu_ratio_vs_raw"] = baseRuns is null ? null : Round(v.MedianCpuMicrosPerMsg / baseRuns.MedianCpuMicrosPerMsg, 3),
                ["ratio_vs_raw_same_round_median"] = baseRuns is null
                    ? null
                    : Round(Stats.Median(v.Rounds.Zip(baseRuns.Rounds, (a, b) => a.Sample.MsgsPerSecond / b.Sample.MsgsPerSecond)), 3),
                ["alloc_bytes_per_msg"] = Round(Stats.Median(v.Rounds.Select(r => r.Sample.AllocBytesPerMsg)), 1),
                ["cores_busy"] = Round(Stats.Median(v.Rounds.Select(r => r.Sample.CoresBusy)), 2),
            };
            if (extra is not null)
            {
                foreach (var (key, value) in extra(v))
                {
                    o[key] = value;
                }
            }

            o["rounds"] = new JsonArray(v.Rounds.Select(Run).ToArray<JsonNode?>());
            o["warmups"] = new JsonArray(v.Warmups.Select(Run).ToArray<JsonNode?>());
            array.Add(o);
        }

        return array;
    }

    /// <summary>Markdown table of the medians and ratios against <paramref name="baseline"/>.</summary>
    public static string MarkdownTable(IReadOnlyList<VariantRuns> runs, string baseline, Func<VariantRuns, string>? note = null)
    {
        var baseRuns = runs.FirstOrDefault(r => r.Name == baseline);
        var sb = new StringBuilder();
        sb.AppendLine("| variant | msgs/s (median) | CPU-µs/msg (median) | ratio vs raw (msgs/s) | CPU ratio vs raw | alloc B/msg | notes |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var v in runs)
        {
            var ratio = baseRuns is null ? "n/a" : F(v.MedianMsgsPerSecond / baseRuns.MedianMsgsPerSecond, "0.00") + "×";
            var cpuRatio = baseRuns is null ? "n/a" : F(v.MedianCpuMicrosPerMsg / baseRuns.MedianCpuMicrosPerMsg, "0.00") + "×";
            var alloc = Stats.Median(v.Rounds.Select(r => r.Sample.AllocBytesPerMsg));
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {v.Name} | {F(v.MedianMsgsPerSecond, "N0")} | {F(v.MedianCpuMicrosPerMsg, "0.00")} | {ratio} | {cpuRatio} | {F(alloc, "N0")} | {note?.Invoke(v) ?? ""} |");
        }

        return sb.ToString();
    }

    /// <summary>Machine and build facts for the result file.</summary>
    public static JsonObject Machine() => new()
    {
        ["processor_count"] = Environment.ProcessorCount,
        ["cpu_model"] = CpuModel(),
        ["memory_gib"] = Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1),
        ["os"] = RuntimeInformation.OSDescription,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["server_gc"] = GCSettings.IsServerGC,
        ["gc_latency_mode"] = GCSettings.LatencyMode.ToString(),
        ["confluent_kafka"] = typeof(Confluent.Kafka.Library).Assembly.GetName().Version?.ToString(),
        ["librdkafka"] = Confluent.Kafka.Library.VersionString,
        ["akka"] = typeof(Akka.Actor.ActorSystem).Assembly.GetName().Version?.ToString(),
        ["git_commit"] = Git("rev-parse", "HEAD"),
        ["git_dirty"] = Git("status", "--porcelain") is { } status ? status.Length > 0 : null,
        ["started_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>Writes <paramref name="root"/> as indented JSON, creating the directory if needed.</summary>
    public static void WriteJson(string path, JsonObject root)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, root.ToJsonString(Indented) + "\n");
    }

    /// <summary>Rounds for readable JSON.</summary>
    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    private static JsonObject Run(VariantRun run)
    {
        var s = run.Sample;
        var o = new JsonObject
        {
            ["records"] = s.Records,
            ["wall_s"] = Round(s.Wall.TotalSeconds, 4),
            ["cpu_s"] = Round(s.Cpu.TotalSeconds, 4),
            ["msgs_per_s"] = Round(s.MsgsPerSecond, 1),
            ["cpu_us_per_msg"] = Round(s.CpuMicrosPerMsg, 3),
            ["cores_busy"] = Round(s.CoresBusy, 2),
            ["alloc_bytes_per_msg"] = Round(s.AllocBytesPerMsg, 1),
            ["gc_gen0"] = s.Gen0,
            ["gc_gen1"] = s.Gen1,
            ["gc_gen2"] = s.Gen2,
            ["jit_ms"] = Round(s.Jit.TotalMilliseconds, 1),
            ["jit_methods"] = s.JitMethods,
        };
        foreach (var (key, value) in run.Extra)
        {
            o[key] = value switch
            {
                bool b => b,
                int i => i,
                long l => l,
                double d => Round(d, 3),
                string str => str,
                _ => value.ToString(),
            };
        }

        return o;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? Git(params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi);
            if (p is null)
            {
                return null;
            }

            var output = p.StandardOutput.ReadToEnd().Trim();
            return p.WaitForExit(5000) && p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
