namespace Usher.Server.Hosting;

/// <summary>
/// Waits until the JIT has stopped compiling: its count of compiled methods
/// (<see cref="System.Runtime.JitInfo.GetCompiledMethodCount"/>) has not grown for a quiet spell. The
/// tiering thread compiles hot methods at their next tier in the background, a while after their
/// calls were counted; this is how the warm-up knows that the code it made hot is installed.
/// </summary>
internal static class JitSettle
{
    /// <summary>How often the count is read while waiting.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Completes true once <paramref name="compiled"/> has not changed for <paramref name="quiet"/>,
    /// false when <paramref name="limit"/> has passed first.
    /// </summary>
    public static async Task<bool> WaitAsync(Func<long> compiled, TimeProvider time, TimeSpan quiet, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        var last = compiled();
        var changed = started;
        while (true)
        {
            if (time.GetElapsedTime(changed) >= quiet)
            {
                return true;
            }

            if (time.GetElapsedTime(started) >= limit)
            {
                return false;
            }

            await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
            var now = compiled();
            if (now != last)
            {
                last = now;
                changed = time.GetTimestamp();
            }
        }
    }
}
