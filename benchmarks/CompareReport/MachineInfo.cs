using System.Runtime.InteropServices;

namespace CompareReport;

/// <summary>The machine a report was measured on.</summary>
internal sealed record MachineInfo(int LogicalCores, string CpuModel, string Os, string Runtime)
{
    public static MachineInfo Current()
    {
        var cpu = "unknown";
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null && line.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
            {
                cpu = line[(colon + 1)..].Trim();
            }
        }

        return new MachineInfo(Environment.ProcessorCount, cpu, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);
    }
}
