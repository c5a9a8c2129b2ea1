namespace Usher.Core.Scheduling;

/// <summary>
/// How busy a version's instances have been over a recent window. The executors add each batch's
/// busy time and request count (two interlocked adds, nothing allocated); readers (the metrics
/// scrape, the <see cref="InstanceAutoscaler"/>) compare the totals with a snapshot taken about
/// <see cref="Window"/> earlier. Utilisation is busy time / instance time, where instance time is
/// the integral of the instance count over the window, so a change of the count mid-window is
/// weighed exactly. A batch's busy time counts when the batch ends, so a window may see all of a
/// batch that began before it: the ratio is capped at 1.
/// </summary>
internal sealed class InstanceLoad
{
    /// <summary>The default window: 10 s.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    // A reading keeps a snapshot when the newest is at least Window / SnapshotsPerWindow old, so the
    // list holds about that many entries however often it is read.
    private const int SnapshotsPerWindow = 8;

    private readonly TimeProvider _time;
    private readonly long _window;
    private readonly long _step;
    private readonly Lock _lock = new();
    private readonly List<Snapshot> _snapshots = [];
    private long _busyTicks;
    private long _requests;
    private int _instances;
    private long _instanceTicks;
    private long _changedAt;
    private double _secondsPerRequest;

    public InstanceLoad(int instances, TimeProvider time, TimeSpan? window = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(instances);
        _time = time;
        Window = window ?? DefaultWindow;
        _window = (long)(Window.TotalSeconds * time.TimestampFrequency);
        _step = Math.Max(1, _window / SnapshotsPerWindow);
        _instances = instances;
        _changedAt = time.GetTimestamp();
        _snapshots.Add(new Snapshot(_changedAt, 0, 0, 0));
    }

    /// <summary>How far back a reading looks (at least; a reading spans from the newest snapshot at least this old).</summary>
    public TimeSpan Window { get; }

    /// <summary>The instances the version runs now.</summary>
    public int Instances => Volatile.Read(ref _instances);

    /// <summary>An executor ran a batch of <paramref name="requests"/> requests for <paramref name="ticks"/> timestamp ticks.</summary>
    public void BatchRan(int requests, long ticks)
    {
        Interlocked.Add(ref _busyTicks, ticks);
        Interlocked.Add(ref _requests, requests);
    }

    /// <summary>The instance count changed: the instance time so far is closed at the old count.</summary>
    public void SetInstances(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _instanceTicks += _instances * (now - _changedAt);
            _changedAt = now;
            Volatile.Write(ref _instances, count);
        }
    }

    /// <summary>Forgets the past (the version's warm-up ran before any client's request).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _snapshots.Clear();
            _snapshots.Add(Current(now));
            _secondsPerRequest = 0;
        }
    }

    /// <summary>Utilisation and time per request since the newest snapshot at least a window old.</summary>
    public LoadReading Read()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var current = Current(now);

            // Keep the newest snapshot that is at least a window old as the base, and those after it.
            while (_snapshots.Count >= 2 && _snapshots[1].At <= now - _window)
            {
                _snapshots.RemoveAt(0);
            }

            var from = _snapshots[0];
            var busy = current.Busy - from.Busy;
            var capacity = current.InstanceTicks - from.InstanceTicks;
            var requests = current.Requests - from.Requests;
            var utilisation = capacity > 0 ? Math.Clamp((double)busy / capacity, 0, 1) : 0;
            if (requests > 0)
            {
                // Without a batch ending in the window (a long one still running), the last figure stands.
                _secondsPerRequest = (double)busy / requests / _time.TimestampFrequency;
            }

            if (now - _snapshots[^1].At >= _step)
            {
                _snapshots.Add(current);
            }

            return new LoadReading(utilisation, TimeSpan.FromSeconds(_secondsPerRequest), TimeSpan.FromSeconds((double)(now - from.At) / _time.TimestampFrequency));
        }
    }

    // Under the lock.
    private Snapshot Current(long now)
        => new(now, Interlocked.Read(ref _busyTicks), Interlocked.Read(ref _requests), _instanceTicks + (_instances * (now - _changedAt)));

    private readonly record struct Snapshot(long At, long Busy, long Requests, long InstanceTicks);
}
