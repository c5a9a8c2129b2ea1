namespace Usher.Cli.Bench;

/// <summary>
/// A closed loop's measured window, in <see cref="System.Diagnostics.Stopwatch"/> ticks: it opens when the
/// warm-up ends or, if later, when the last worker has its first answer, and lasts the measured duration.
/// A fresh client's first requests (its JIT, its connections) can outlast a short warm-up on a busy
/// machine; a window fixed from the start then saw none of its requests both start and finish, and
/// measured nothing. With no warm-up asked for, it opens at once: the cold start is what is measured.
/// </summary>
internal sealed class ClosedLoopWindow
{
    private readonly long _warmupEnds;
    private readonly long _durationTicks;
    private int _waiting;
    private long _from = long.MaxValue;
    private long _until = long.MaxValue;

    /// <summary>A window for <paramref name="workers"/> workers whose warm-up ends at <paramref name="warmupEnds"/> (at <paramref name="start"/>: no warm-up).</summary>
    public ClosedLoopWindow(int workers, long start, long warmupEnds, long durationTicks)
    {
        _warmupEnds = warmupEnds;
        _durationTicks = durationTicks;
        _waiting = workers;
        if (warmupEnds <= start)
        {
            Open(start);
        }
    }

    /// <summary>Where the window starts (<see cref="long.MaxValue"/> until it opens).</summary>
    public long From => Volatile.Read(ref _from);

    /// <summary>Where the window ends (<see cref="long.MaxValue"/> until it opens).</summary>
    public long Until => Volatile.Read(ref _until);

    /// <summary>Whether a request from <paramref name="started"/> to <paramref name="finished"/> lies inside the window.</summary>
    public bool Contains(long started, long finished) => started >= From && finished <= Until;

    /// <summary>A worker's first answer arrived at <paramref name="now"/>; the last worker's opens the window.</summary>
    public void FirstAnswer(long now)
    {
        if (Interlocked.Decrement(ref _waiting) == 0 && From == long.MaxValue)
        {
            Open(Math.Max(now, _warmupEnds));
        }
    }

    // The end first: a reader that sees the start sees the end too.
    private void Open(long from)
    {
        Volatile.Write(ref _until, from + _durationTicks);
        Volatile.Write(ref _from, from);
    }
}
