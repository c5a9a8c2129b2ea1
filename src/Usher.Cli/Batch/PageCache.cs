using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Usher.Cli.Batch;

/// <summary>
/// Drops a file's committed bytes from the kernel's page cache (Linux: <c>posix_fadvise(POSIX_FADV_DONTNEED)</c>)
/// once they are on disk. An output is written once and not read again by the run, and its cached pages
/// otherwise pile up by the gigabyte (820 MB for 200,000 rows of mlp-large), each write taking a page the
/// system had free rather than one just given back. On a freshly started virtual machine the copy into
/// them was 13.5% of <c>usher batch mlp-large</c>'s CPU, twenty times the read's copy of as many bytes
/// (pages the guest never touched cost the host a fault to back, as far as can be seen from inside;
/// benchmarks/compare/batch.md). Dropped after the flush to disk, the pages are clean and go straight
/// back to the free lists, where the next chunk's writes find them. Does nothing where there is no such call.
/// </summary>
internal static class PageCache
{
    private const int DontNeed = 4; // POSIX_FADV_DONTNEED on Linux

    private static int s_unavailable;

    /// <summary>Drops bytes [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="file"/>, written and flushed to disk, from the page cache.</summary>
    public static void Drop(SafeFileHandle file, long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0 || Volatile.Read(ref s_unavailable) != 0)
        {
            return;
        }

        var added = false;
        try
        {
            file.DangerousAddRef(ref added);

            // Advice only: a failure (a file system without it) leaves the pages to the kernel, as before.
            _ = PosixFadvise((int)file.DangerousGetHandle(), offset, length, DontNeed);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            Volatile.Write(ref s_unavailable, 1);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    // Blittable arguments and result, as ProcessMemory's malloc_trim: DllImport rather than a source-generated LibraryImport.
    [DllImport("libc", EntryPoint = "posix_fadvise", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);
}
