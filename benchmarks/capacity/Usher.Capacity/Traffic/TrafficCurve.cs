using System.Globalization;

namespace Usher.Capacity.Traffic;

/// <summary>
/// Load over time as steps of constant Poisson arrival rate: the built-in day (<see cref="Diurnal"/>)
/// or a CSV of <c>seconds,rps</c> rows (each rate held for that many seconds, one after another).
/// </summary>
internal sealed class TrafficCurve
{
    private readonly double[] _perSecond;

    public TrafficCurve(IReadOnlyList<TrafficStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = steps;
        _perSecond = [.. steps.SelectMany(s => Enumerable.Repeat(s.Rps, s.Seconds))];
    }

    public IReadOnlyList<TrafficStep> Steps { get; }

    public int DurationSeconds => _perSecond.Length;

    public double Peak => _perSecond.Length == 0 ? 0 : _perSecond.Max();

    /// <summary>The arrival rate during second <paramref name="second"/>.</summary>
    public double RateAt(int second) => _perSecond[second];

    /// <summary>
    /// A day, one step a minute: a trough of 20% of <paramref name="peakRps"/> at 04:00 and the peak
    /// at 16:00 (a raised cosine), and a spike that doubles the load at <paramref name="spikeAtHour"/>
    /// for <paramref name="spikeMinutes"/> minutes, reached within a minute (a flash crowd, a batch job
    /// upstream, a retry storm).
    /// </summary>
    public static TrafficCurve Diurnal(double peakRps, double spikeAtHour = 11, int spikeMinutes = 15, double spikeFactor = 2)
    {
        var steps = new List<TrafficStep>(24 * 60);
        var spikeStart = (int)Math.Round(spikeAtHour * 60);
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            var hours = (minute + 0.5) / 60;
            var shape = 0.2 + (0.8 * (1 - Math.Cos(2 * Math.PI * (hours - 4) / 24)) / 2);
            var spike = minute >= spikeStart && minute < spikeStart + spikeMinutes ? spikeFactor : 1;
            steps.Add(new TrafficStep(60, peakRps * shape * spike));
        }

        return new TrafficCurve(steps);
    }

    /// <summary>Reads <c>seconds,rps</c> rows (a header line is allowed); problems name the line.</summary>
    public static TrafficCurve? FromCsv(string text, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(problems);
        var steps = new List<TrafficStep>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split(',');
            if (cells.Length != 2
                || !int.TryParse(cells[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
                || !double.TryParse(cells[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rps))
            {
                if (steps.Count == 0 && i == 0 && cells.Length == 2)
                {
                    continue; // a header
                }

                problems.Add($"traffic line {i + 1}: expected 'seconds,rps' (an integer and a number), got '{line}'");
                continue;
            }

            if (seconds < 1 || rps < 0 || !double.IsFinite(rps))
            {
                problems.Add($"traffic line {i + 1}: seconds must be >= 1 and rps >= 0, got '{line}'");
                continue;
            }

            steps.Add(new TrafficStep(seconds, rps));
        }

        if (steps.Count == 0 && problems.Count == 0)
        {
            problems.Add("traffic: no 'seconds,rps' rows");
        }

        return problems.Count == 0 ? new TrafficCurve(steps) : null;
    }
}
