using System.Globalization;
using Usher.Core.Models.Yaml;

namespace Usher.Server.Hosting;

/// <summary>
/// Reads <c>server.memory_budget</c> (<c>--memory-budget</c>): a size (<c>512MiB</c>, <c>2GiB</c>) or a
/// percent of the container's memory limit (<c>60%</c>, read by <see cref="CgroupMemoryLimit"/>).
/// </summary>
internal static class MemoryBudgetSetting
{
    /// <summary>The budget in bytes, or null with the problem (naming the key) in <paramref name="problem"/>.</summary>
    public static long? Resolve(string text, string cgroupRoot, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        var trimmed = text.Trim();
        if (trimmed.EndsWith('%'))
        {
            if (!double.TryParse(trimmed[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) || percent <= 0 || percent > 100)
            {
                problem = $"server.memory_budget: expected a percent above 0% and at most 100% of the container's memory limit, got '{text}'";
                return null;
            }

            if (CgroupMemoryLimit.Read(cgroupRoot, out var where) is not { } limit)
            {
                problem = $"server.memory_budget: '{text}' is a percent of the container's memory limit, but there is none ({where} says no limit); give a size such as 2GiB, or set a memory limit on the container";
                return null;
            }

            return (long)(limit * percent / 100);
        }

        if (ByteSizes.TryParse(trimmed, out var bytes))
        {
            return bytes;
        }

        problem = $"server.memory_budget: expected {ByteSizes.Expected}, or a percent of the container's memory limit such as 60%, got '{text}'";
        return null;
    }
}
