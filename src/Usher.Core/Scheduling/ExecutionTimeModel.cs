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
        lock (_lock)
        {
            _samples[_next] = (rows, elapsed.TotalSeconds);
            _next = (_next + 1) % Window;
            _count = Math.Min(_count + 1, Window);
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
        }
    }

    public TimeSpan Predict(int rows)
    {
        lock (_lock)
        {
            return _count == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(0, _a + (_b * rows)));
        }
    }

    private void Fit()
    {
        double sn = 0, st = 0, snn = 0, snt = 0;
        for (var i = 0; i < _count; i++)
        {
            var (n, t) = _samples[i];
            sn += n;
            st += t;
            snn += (double)n * n;
            snt += n * t;
        }

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
