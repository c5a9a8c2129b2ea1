using System.Globalization;
using System.Runtime.InteropServices;

namespace Usher.Core.Routing;

/// <summary>
/// Lowers the calling thread's scheduling priority, so that what it runs takes only CPU time that no
/// other thread wants: Linux <c>SCHED_IDLE</c> (no privilege needed to lower a thread), else nice 19,
/// else nothing (other systems, or a sandbox that forbids both).
/// </summary>
internal static class IdleScheduling
{
    private const int SchedIdle = 5;
    private const int PrioProcess = 0;
    private const int LowestNice = 19;

    /// <summary>Lowers the calling thread as far as the system allows and says how far, and why not further.</summary>
    public static (ShadowThreadPolicy Policy, string Detail) LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (ShadowThreadPolicy.Normal, "thread policies are set on Linux only");
        }

        try
        {
            // pid 0: the calling thread (Linux schedules threads, not processes). The priority of
            // SCHED_IDLE must be 0.
            var param = 0;
            if (SchedSetScheduler(0, SchedIdle, ref param) == 0)
            {
                return (ShadowThreadPolicy.Idle, "SCHED_IDLE");
            }

            var idleError = Marshal.GetLastPInvokeError();
            if (SetPriority(PrioProcess, GetTid(), LowestNice) == 0)
            {
                return (ShadowThreadPolicy.Nice, string.Create(CultureInfo.InvariantCulture, $"nice {LowestNice} (SCHED_IDLE refused: errno {idleError})"));
            }

            return (ShadowThreadPolicy.Normal, string.Create(CultureInfo.InvariantCulture, $"SCHED_IDLE refused (errno {idleError}), nice {LowestNice} refused (errno {Marshal.GetLastPInvokeError()})"));
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return (ShadowThreadPolicy.Normal, "the C library lacks sched_setscheduler: " + e.Message);
        }
    }

    // Blittable arguments: DllImport, as ProcessMemory's malloc_trim.
    [DllImport("libc", EntryPoint = "sched_setscheduler", ExactSpelling = true, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int param);

    [DllImport("libc", EntryPoint = "setpriority", ExactSpelling = true, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetTid();
}
