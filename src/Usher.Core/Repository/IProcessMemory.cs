namespace Usher.Core.Repository;

/// <summary>
/// The process's memory as the memory budget sees it (docs/density.md): what is resident, and giving
/// the native allocator's freed memory back to the system. Tests pass a fake.
/// </summary>
internal interface IProcessMemory
{
    /// <summary>The process's resident set size (RSS) in bytes now.</summary>
    long ResidentBytes();

    /// <summary>
    /// Gives the memory the native allocator keeps after frees back to the system (glibc's
    /// <c>malloc_trim(0)</c>); does nothing where there is no such call.
    /// </summary>
    void Trim();

    /// <summary>Starts measuring the peak RSS afresh from now (Linux: <c>/proc/self/clear_refs</c>); does nothing where it cannot.</summary>
    void ResetPeak();

    /// <summary>The peak RSS since <see cref="ResetPeak"/> (or the process's start) in bytes; 0 when unknown.</summary>
    long PeakBytes();
}
