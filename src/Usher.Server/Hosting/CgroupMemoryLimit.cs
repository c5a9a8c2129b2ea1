using System.Globalization;

namespace Usher.Server.Hosting;

/// <summary>
/// The memory limit of the container the server runs in, from the cgroup file system: v2
/// <c>memory.max</c> (<c>max</c> = no limit), else v1 <c>memory/memory.limit_in_bytes</c> (a value near
/// 2^63 = no limit).
/// </summary>
internal static class CgroupMemoryLimit
{
    /// <summary>Where the cgroup file system is mounted.</summary>
    public const string DefaultRoot = "/sys/fs/cgroup";

    // cgroup v1 writes "no limit" as the largest page-aligned 63-bit number (9223372036854771712).
    private const long V1Unlimited = 1L << 62;

    /// <summary>The limit in bytes; null when there is none, with <paramref name="where"/> naming what was read.</summary>
    public static long? Read(string root, out string where)
    {
        var v2 = Path.Combine(root, "memory.max");
        var v1 = Path.Combine(root, "memory", "memory.limit_in_bytes");
        if (File.Exists(v2))
        {
            where = v2;
            return Parse(File.ReadAllText(v2), long.MaxValue);
        }

        if (File.Exists(v1))
        {
            where = v1;
            return Parse(File.ReadAllText(v1), V1Unlimited);
        }

        where = $"{v2} or {v1} (neither exists)";
        return null;
    }

    private static long? Parse(string text, long unlimitedFrom)
    {
        var trimmed = text.Trim();
        return long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0 && bytes < unlimitedFrom ? bytes : null;
    }
}
