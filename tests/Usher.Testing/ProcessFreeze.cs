using System.Globalization;
using System.Runtime.InteropServices;

namespace Usher.Testing;

/// <summary>
/// Stops a child process with SIGSTOP and waits until every thread of it is stopped. From then on it
/// makes no progress, so a test reads its state (a manifest, a broker's stream) knowing that a kill
/// sent next lands in exactly that state: a kill meant to land mid-run cannot race a run that finishes first.
/// </summary>
internal static class ProcessFreeze
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    /// <summary>
    /// Freezes process <paramref name="pid"/>; false when it had already exited (nothing left to freeze).
    /// The signal goes by a direct system call, not a spawned <c>kill</c>: the process runs on for no longer than that call.
    /// </summary>
    public static async Task<bool> FreezeAsync(int pid, TimeSpan limit)
    {
        if (Kill(pid, SigStop) != 0)
        {
            return false; // ESRCH: gone (a zombie still takes signals, and is caught below)
        }

        using var guard = new CancellationTokenSource(limit);
        while (true)
        {
            var states = ThreadStates(pid);
            if (states.Count == 0 || states.Contains('Z') || states.Contains('X'))
            {
                return false;
            }

            if (states.All(s => s is 'T' or 't'))
            {
                return true;
            }

            // The kernel stops each thread at its next return to user space: a matter of scheduling, polled.
            await Task.Delay(1, guard.Token);
        }
    }

    /// <summary>Lets a frozen process run on (SIGCONT).</summary>
    public static void Thaw(int pid) => Kill(pid, SigCont);

    // The state letter of each thread (/proc/PID/task/TID/stat, the field after the command's closing parenthesis).
    private static List<char> ThreadStates(int pid)
    {
        var states = new List<char>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    states.Add(stat[(stat.LastIndexOf(')') + 2)..][0]);
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return states;
    }

    // Blittable arguments: DllImport, as src/Usher.Core's ProcessMemory.
    [DllImport("libc", EntryPoint = "kill", ExactSpelling = true, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
