namespace Usher.Core.Repository;

/// <summary>
/// Measures loads on demand under the memory budget (docs/density.md), one at a time so that the RSS a
/// load adds is its own: gives freed memory back first (<see cref="IProcessMemory.Trim"/>), reads the RSS
/// before and after the load, and the peak during it. Besides each version's footprint it keeps what
/// the budget must also hold for the RSS to stay within the budget plus the server's base:
/// <see cref="Overhead"/>, the RSS above the base that no loaded version is counted for (the native
/// runtime's one-time costs, code compiled once, memory the allocators keep), and
/// <see cref="Headroom"/>, what a load needs only while it runs (the parsed model file, the graph's
/// optimization) above what it keeps.
/// </summary>
internal sealed class FootprintMeter(IProcessMemory memory) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _base = -1;
    private long _overhead;
    private long _headroom;

    /// <summary>The RSS above the base that no loaded version was counted for at the last load's end.</summary>
    public long Overhead => Interlocked.Read(ref _overhead);

    /// <summary>The most any load measured so far needed above what it kept, while it ran.</summary>
    public long Headroom => Interlocked.Read(ref _headroom);

    /// <summary>The server's base: the RSS when it became ready (<see cref="MarkBase"/>), else before the first load on demand; -1 before either.</summary>
    public long Base => Interlocked.Read(ref _base);

    /// <summary>
    /// Takes the server's base now, with freed memory given back first: the RSS with every version
    /// registered and none loaded. What the process grows by after it (code compiled for the first
    /// requests, the heap they leave) counts against the budget as <see cref="Overhead"/>.
    /// </summary>
    public void MarkBase()
    {
        memory.Trim();
        Interlocked.CompareExchange(ref _base, memory.ResidentBytes(), -1);
    }

    /// <summary>
    /// Reads the RSS now (freed memory given back first) and makes what it holds above the base, beyond
    /// the <paramref name="countedBytes"/> of the loaded versions, the <see cref="Overhead"/>: so that an
    /// eviction that freed less than its version was counted for, or memory the requests left since the
    /// last load, is counted before the next load is admitted. Nothing before the base is taken.
    /// </summary>
    public void Observe(long countedBytes)
    {
        if (Base < 0)
        {
            return;
        }

        memory.Trim();
        Settle(memory.ResidentBytes(), countedBytes);
    }

    /// <summary>
    /// Runs <paramref name="load"/> alone and measures it: returns its result, the RSS it added, and the
    /// RSS after it (to give <see cref="Settle"/>), and what it needed above that only while it ran.
    /// </summary>
    public async Task<(T Result, long Added, long After, long Transient)> MeasureAsync<T>(Func<Task<T>> load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(load);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // What evictions and earlier unloads freed leaves first, so the delta is this load's; the
            // trim after it returns what the load used only while it ran.
            memory.Trim();
            var before = memory.ResidentBytes();
            if (Interlocked.Read(ref _base) < 0)
            {
                Interlocked.Exchange(ref _base, before);
            }

            memory.ResetPeak();
            var result = await load().ConfigureAwait(false);
            var peak = memory.PeakBytes();
            memory.Trim();
            var after = memory.ResidentBytes();
            var transient = Math.Max(0, peak - after);
            if (transient > Interlocked.Read(ref _headroom))
            {
                Interlocked.Exchange(ref _headroom, transient);
            }

            return (result, after - before, after, transient);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Once the measured version is counted: the RSS <paramref name="after"/> its load, above the base,
    /// beyond the <paramref name="countedBytes"/> of every loaded version, becomes the <see cref="Overhead"/>.
    /// </summary>
    public void Settle(long after, long countedBytes)
        => Interlocked.Exchange(ref _overhead, Math.Max(0, after - Base - countedBytes));

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
