namespace Usher.Core.Scheduling;

/// <summary>
/// Learns a version's batch execution time as a function of batch size from its own runs:
/// a least-squares line t(n) = a + b·n over the last <see cref="Window"/> batches (BentoML's model;
/// Clipper fits the same shape). With fewer than two distinct sizes it scales the mean time per row.
/// Before any run it predicts 0, so the first batches are never refused on a guess.
/// </summary>
internal sealed class ExecutionTimeModel
{
    public const int Window = 64;
    private readonly (int Rows, double Seconds)[] _samples = new (int, double)[Window];
    private readonly Lock _lock = new();
    private int _count;
    private int _next;
    private double _a;
    private double _b;

    // The window's sums, kept as runs come and go: a record costs the same whatever the window.
    private double _sn;
    private double _st;
    private double _snn;
    private double _snt;

    public int Samples
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Record(int rows, TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        lock (_lock)
        {
            if (_count == Window)
            {
                var (n, t) = _samples[_next];
                Remove(n, t);
            }
            else
            {
                _count++;
            }

            _samples[_next] = (rows, seconds);
            Add(rows, seconds);
            _next = (_next + 1) % Window;
            if (_next == 0)
            {
                // Once a window, the sums afresh: what adding and taking away leaves of rounding goes.
                Resum();
            }

            Fit();
        }
    }

    /// <summary>Forgets every run (the version's warm-up: first runs are slow and not its clients').</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _count = 0;
            _next = 0;
            _a = 0;
            _b = 0;
            _sn = _st = _snn = _snt = 0;
        }
    }

    public TimeSpan Predict(int rows)
    {
        lock (_lock)
        {
            return _count == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(0, _a + (_b * rows)));
        }
    }

    private void Add(int n, double t)
    {
        _sn += n;
        _st += t;
        _snn += (double)n * n;
        _snt += n * t;
    }

    private void Remove(int n, double t)
    {
        _sn -= n;
        _st -= t;
        _snn -= (double)n * n;
        _snt -= n * t;
    }

    private void Resum()
    {
        _sn = _st = _snn = _snt = 0;
        for (var i = 0; i < _count; i++)
        {
            var (n, t) = _samples[i];
            Add(n, t);
        }
    }

    private void Fit()
    {
        double sn = _sn, st = _st, snn = _snn, snt = _snt;
        var k = _count;
        var denominator = (k * snn) - (sn * sn);
        if (denominator > 1e-9)
        {
            _b = ((k * snt) - (sn * st)) / denominator;
            _a = (st - (_b * sn)) / k;
            if (_b >= 0 && _a >= 0)
            {
                return;
            }
        }

        // One size seen (or a fit that says bigger batches are faster): scale time per row.
        _a = 0;
        _b = st / sn;
    }
}
