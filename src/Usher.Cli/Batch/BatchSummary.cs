using System.Diagnostics;
using System.Globalization;

namespace Usher.Cli.Batch;

/// <summary>The figures of a finished (or stopped) run, and how they are printed.</summary>
/// <param name="Rows">Rows read, earlier runs' included.</param>
/// <param name="Errors">Rows sent to the errors file.</param>
/// <param name="RowsThisRun">Rows read by this process (a resumed run skips the rest).</param>
/// <param name="Elapsed">This process's time.</param>
/// <param name="PeakMemoryBytes">This process's peak resident memory.</param>
internal sealed record BatchSummary(long Rows, long Errors, long RowsThisRun, TimeSpan Elapsed, long PeakMemoryBytes)
{
    /// <summary>Rows per second of this process.</summary>
    public double RowsPerSecond => Elapsed > TimeSpan.Zero ? RowsThisRun / Elapsed.TotalSeconds : 0;

    /// <summary>The process's peak resident set size (VmHWM on Linux).</summary>
    public static long PeakMemory()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>Formats a duration as 1h02m03s, 4m05s or 6.7s.</summary>
    public static string Duration(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:D2}m{t.Seconds:D2}s")
        : t.TotalMinutes >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m{t.Seconds:D2}s")
            : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F1}s");

    /// <inheritdoc />
    public override string ToString()
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"rows {Rows:N0}, errors {Errors:N0}, time {Duration(Elapsed)}, {RowsPerSecond:N0} rows/s, peak memory {PeakMemoryBytes / (1024.0 * 1024.0):F0} MiB");
        return RowsThisRun == Rows ? line : line + string.Create(CultureInfo.InvariantCulture, $" ({RowsThisRun:N0} rows this run, resumed)");
    }
}
