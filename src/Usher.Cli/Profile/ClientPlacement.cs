using System.Diagnostics;
using System.Globalization;

namespace Usher.Cli.Profile;

/// <summary>
/// Where the load generator runs: on the machine's cores that this process may not use when there
/// are any (as a deployment's clients and load balancer run on other machines), pinned there with
/// <c>taskset</c>; otherwise on the same cores as the server, sharing them.
/// </summary>
internal static class ClientPlacement
{
    /// <summary>
    /// The cores (a <c>taskset -c</c> list such as <c>1</c> or <c>2-3</c>) online on this machine
    /// and outside this process's affinity; null when there are none, when they cannot be read, or
    /// when <c>taskset</c> is not installed.
    /// </summary>
    public static string? OtherCores()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/sys/devices/system/cpu/online") || FindTaskset() is null)
        {
            return null;
        }

        try
        {
            var online = ParseList(File.ReadAllText("/sys/devices/system/cpu/online"));
            var mine = (ulong)Process.GetCurrentProcess().ProcessorAffinity.ToInt64();
            return Others(online, mine);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The online cores (below 64) not in <paramref name="mask"/>, as a comma-separated list; null when none.</summary>
    public static string? Others(IEnumerable<int> online, ulong mask)
    {
        ArgumentNullException.ThrowIfNull(online);
        var others = online.Where(c => c is >= 0 and < 64 && (mask & (1UL << c)) == 0).Order().ToList();
        return others.Count == 0 ? null : string.Join(',', others.Select(c => c.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Parses a kernel CPU list such as <c>0-3,6</c>.</summary>
    /// <exception cref="FormatException">When the text is not such a list.</exception>
    public static IReadOnlyList<int> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cores = new List<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            var from = int.Parse(range[0], NumberStyles.None, CultureInfo.InvariantCulture);
            var to = range.Length == 2 ? int.Parse(range[1], NumberStyles.None, CultureInfo.InvariantCulture) : from;
            if (range.Length > 2 || to < from)
            {
                throw new FormatException($"not a CPU list: '{text}'");
            }

            for (var c = from; c <= to; c++)
            {
                cores.Add(c);
            }
        }

        return cores;
    }

    /// <summary>The path of <c>taskset</c> on the PATH, or null.</summary>
    public static string? FindTaskset()
        => (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "taskset"))
            .FirstOrDefault(File.Exists);
}
