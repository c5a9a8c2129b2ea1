using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Usher.Core.Repository;

/// <summary>
/// <see cref="IProcessMemory"/> of this process: the RSS from <c>/proc/self/statm</c> on Linux (the
/// working set elsewhere), and glibc's <c>malloc_trim(0)</c> on Linux. ONNX Runtime frees a session's
/// weights through the C allocator, which keeps the freed pages in its arenas for reuse; the trim hands
/// them back, so that an unloaded version's memory leaves the process's RSS. Where the C library has no
/// <c>malloc_trim</c> (musl), the trim does nothing.
/// </summary>
internal sealed class ProcessMemory : IProcessMemory
{
    /// <summary>The one instance (the process has one RSS).</summary>
    public static readonly ProcessMemory Instance = new();

    private static int s_trimUnavailable;
    private static int s_peakUnavailable;

    private ProcessMemory()
    {
    }

    /// <inheritdoc />
    public long ResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // statm: size resident shared text lib data dt, in pages.
                var fields = File.ReadAllText("/proc/self/statm").Split(' ');
                return long.Parse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture) * Environment.SystemPageSize;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // A /proc that is not there or not readable: the working set below says the same.
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <inheritdoc />
    public void ResetPeak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // "5" resets the peak RSS (VmHWM) to the current RSS.
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not allowed here: the peak would be the process's since its start, so none is reported.
            Volatile.Write(ref s_peakUnavailable, 1);
        }
    }

    /// <inheritdoc />
    public long PeakBytes()
    {
        if (Volatile.Read(ref s_peakUnavailable) != 0)
        {
            return 0;
        }

        if (OperatingSystem.IsLinux())
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        var kib = line.AsSpan(6).Trim().TrimEnd("kB").Trim();
                        return long.Parse(kib, NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                return 0;
            }

            return 0;
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <inheritdoc />
    public void Trim()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_trimUnavailable) != 0)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref s_trimUnavailable, 1);
        }
    }

    // Blittable arguments and result: no marshalling code to generate, so DllImport rather than a
    // source-generated LibraryImport (which needs a partial class).
    [DllImport("libc", EntryPoint = "malloc_trim", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
}
