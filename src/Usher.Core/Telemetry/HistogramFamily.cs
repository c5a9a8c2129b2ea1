namespace Usher.Core.Telemetry;

/// <summary>
/// One histogram of <see cref="VersionTotals"/> as <c>/metrics</c> writes it: its exported name, unit,
/// help text and bucket bounds (in the exported unit), and how many recorded units make one exported
/// unit (TimeSpan ticks per second for the latencies, 1 for batch sizes).
/// </summary>
internal sealed record HistogramFamily(string Name, string Unit, string Help, IReadOnlyList<double> Bounds, double Scale, Func<VersionTotals, FixedHistogram> Select);
