namespace CompareReport;

/// <summary>
/// The target rounds of <c>benchmarks/compare/run.sh</c>: the points that judge a ratio in the Targets table, measured
/// in interleaved rounds after the sweep. Pairs each round's two points of a target into a <see cref="RoundRatio"/>.
/// </summary>
internal sealed class TargetRounds(IReadOnlyList<Point> measured, IReadOnlyList<WrkPoint> wrk)
{
    private readonly IReadOnlyList<WrkPoint> _closed = [.. wrk.Where(w => w.Round is not null && w.Rate is null)];
    private readonly IReadOnlyList<WrkPoint> _paced = [.. wrk.Where(w => w.Round is not null && w.Rate is not null)];
    private readonly IReadOnlyList<Point> _open = [.. measured.Where(p => p.Round is not null && p.Open)];

    /// <summary>Whether any round was measured.</summary>
    public bool Any => _closed.Count > 0 || _paced.Count > 0 || _open.Count > 0;

    /// <summary>The highest concurrency the rounds measured closed-loop points at (the sweep's highest), or null without one.</summary>
    public int? Top => _closed.Count == 0 ? null : _closed.Max(w => w.Concurrency);

    /// <summary>The rounds measured, in order.</summary>
    public IReadOnlyList<int> Numbers =>
        [.. _closed.Select(w => w.Round!.Value).Concat(_paced.Select(w => w.Round!.Value)).Concat(_open.Select(p => p.Round!.Value)).Distinct().Order()];

    /// <summary>wrk's requests/s of <paramref name="server"/> over <paramref name="baseline"/> in each round that measured both.</summary>
    public IReadOnlyList<RoundRatio> Throughput(string model, string server, string baseline, int concurrency)
        => Pair(
            _closed.Where(w => w.Model == model && w.Concurrency == concurrency),
            w => w.Server == server,
            w => w.Server == baseline,
            w => w.Round!.Value,
            w => w.Throughput);

    /// <summary>The primary's p99 with the shadow over without it in each round, by <c>usher bench --rate</c>.</summary>
    public IReadOnlyList<RoundRatio> OpenLoopShadow(string without, string with)
        => Pair(_open, p => p.Server == with, p => p.Server == without, p => p.Round!.Value, p => p.P99);

    /// <summary>The same by paced <c>wrk</c>.</summary>
    public IReadOnlyList<RoundRatio> PacedShadow(string without, string with)
        => Pair(_paced, w => w.Server == with, w => w.Server == without, w => w.Round!.Value, w => w.P99);

    private static List<RoundRatio> Pair<T>(IEnumerable<T> points, Func<T, bool> isNumerator, Func<T, bool> isDenominator, Func<T, int> round, Func<T, double> figure)
    {
        var list = points.ToList();
        var ratios = new List<RoundRatio>();
        foreach (var numerator in list.Where(isNumerator).OrderBy(round))
        {
            var denominator = list.FirstOrDefault(p => isDenominator(p) && round(p) == round(numerator));
            if (denominator is not null && figure(denominator) > 0)
            {
                ratios.Add(new RoundRatio(round(numerator), figure(numerator), figure(denominator)));
            }
        }

        return ratios;
    }
}
