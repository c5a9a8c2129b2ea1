namespace Usher.Core.Scheduling;

/// <summary>A server-wide bound on the bytes of requests queued or running.</summary>
internal sealed class MemoryBudget(long limit)
{
    private long _used;

    /// <summary>The bound.</summary>
    public long Limit { get; } = limit;

    /// <summary>Bytes reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/>; false (and nothing reserved) when that would pass the bound.</summary>
    public bool TryReserve(long bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used + bytes > Limit && used > 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used)
            {
                return true;
            }
        }
    }

    /// <summary>Returns bytes reserved with <see cref="TryReserve"/>.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
