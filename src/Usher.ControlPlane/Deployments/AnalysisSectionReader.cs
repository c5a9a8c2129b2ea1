using System.Text.Json;
using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Deployments;

/// <summary>Reads a spec's <c>analysis</c> section: the thresholds that are every strategy's rollback triggers.</summary>
internal static class AnalysisSectionReader
{
    public const string Key = "analysis";

    /// <summary>The default of <c>analysis.inconclusive_after</c>.</summary>
    public static readonly TimeSpan DefaultInconclusiveAfter = TimeSpan.FromMinutes(10);

    // A significance level: above 0.5 it is more likely a confidence (0.99) written by mistake.
    private const double MaxAlpha = 0.5;

    private static readonly string[] Keys =
    [
        "min_requests", "min_predictions", "inconclusive_after", "max_error_rate", "alpha",
        "max_latency_p99_ratio", "max_latency_p50_ratio", "min_latency_delta_ms", "max_psi",
    ];

    public static (AnalysisSettings Settings, TimeSpan InconclusiveAfter) Read(JsonElement root, SpecReader reader)
    {
        var defaults = new AnalysisSettings();
        if (!reader.Section(root, Key, Keys, out var a))
        {
            return (defaults, DefaultInconclusiveAfter);
        }

        var before = reader.Count;
        var settings = defaults with
        {
            MinRequests = (int)Math.Min(int.MaxValue, reader.Integer(a, Key, "min_requests", 1) ?? defaults.MinRequests),
            MinPredictions = (int)Math.Min(int.MaxValue, reader.Integer(a, Key, "min_predictions", 1) ?? defaults.MinPredictions),
            MaxErrorRate = reader.Number(a, Key, "max_error_rate", 0, 1) ?? defaults.MaxErrorRate,
            Alpha = reader.Number(a, Key, "alpha", 0, reader.Stored ? 1 : MaxAlpha, aboveMin: true, hint: "; alpha is the significance level, e.g. 0.01, not the confidence 0.99") ?? defaults.Alpha,
            MaxLatencyP99Ratio = reader.Number(a, Key, "max_latency_p99_ratio", 1, double.MaxValue, aboveMin: true) ?? defaults.MaxLatencyP99Ratio,
            MaxLatencyP50Ratio = reader.Number(a, Key, "max_latency_p50_ratio", 1, double.MaxValue, aboveMin: true) ?? defaults.MaxLatencyP50Ratio,
            MinLatencyDeltaMs = reader.Number(a, Key, "min_latency_delta_ms", 0, double.MaxValue) ?? defaults.MinLatencyDeltaMs,
            MaxPsi = reader.Number(a, Key, "max_psi", 0, double.MaxValue, aboveMin: true) ?? defaults.MaxPsi,
        };
        var inconclusive = reader.Duration(a, Key, "inconclusive_after") ?? DefaultInconclusiveAfter;
        if (reader.Count == before)
        {
            foreach (var problem in settings.Validate())
            {
                reader.AddValidation(Key, problem);
            }
        }

        return (settings, inconclusive);
    }
}
