using System.Globalization;

namespace Usher.ControlPlane.Analysis;

/// <summary>Thresholds of <see cref="CanaryAnalysis"/>. Check with <see cref="Validate"/> before use.</summary>
internal sealed record AnalysisSettings
{
    /// <summary>Requests (and latency samples) each variant needs in the window before the error-rate and
    /// latency checks decide anything but Wait. Default 100.</summary>
    public int MinRequests { get; init; } = 100;

    /// <summary>Predictions (scores or labels) each variant needs before the drift check decides. Default 100.</summary>
    public int MinPredictions { get; init; } = 100;

    /// <summary>A canary error rate above this absolute rate fails. Default 0.05.</summary>
    public double MaxErrorRate { get; init; } = 0.05;

    /// <summary>Significance level of the one-sided two-proportion z-test "canary error rate above stable"
    /// and of the one-sided Mann-Whitney test "canary latency greater". Default 0.01.</summary>
    public double Alpha { get; init; } = 0.01;

    /// <summary>Canary p99 / stable p99 above this, with a significant Mann-Whitney test, fails. Default 1.5.</summary>
    public double MaxLatencyP99Ratio { get; init; } = 1.5;

    /// <summary>Canary p50 / stable p50 above this, with a significant Mann-Whitney test, fails. Default 1.25.</summary>
    public double MaxLatencyP50Ratio { get; init; } = 1.25;

    /// <summary>
    /// A percentile over its ratio limit counts only when the canary is also at least this many
    /// milliseconds slower: at sub-millisecond latencies a large ratio is scheduling noise, not a
    /// regression anyone would roll back for. 0 disables the floor. Default 1 ms.
    /// </summary>
    public double MinLatencyDeltaMs { get; init; } = 1.0;

    /// <summary>Prediction-drift PSI at or above this fails (0.2 is the conventional "significant change"). Default 0.2.</summary>
    public double MaxPsi { get; init; } = 0.2;

    /// <summary>Every problem with the settings, one sentence each; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        AtLeastOne(problems, nameof(MinRequests), MinRequests);
        AtLeastOne(problems, nameof(MinPredictions), MinPredictions);
        Rate(problems, nameof(MaxErrorRate), MaxErrorRate);
        Rate(problems, nameof(Alpha), Alpha);
        Ratio(problems, nameof(MaxLatencyP99Ratio), MaxLatencyP99Ratio);
        Ratio(problems, nameof(MaxLatencyP50Ratio), MaxLatencyP50Ratio);
        if (!(MinLatencyDeltaMs >= 0 && double.IsFinite(MinLatencyDeltaMs)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MinLatencyDeltaMs)} must be 0 or more milliseconds, got {MinLatencyDeltaMs}"));
        }

        if (!(MaxPsi > 0 && double.IsFinite(MaxPsi)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxPsi)} must be a positive number, got {MaxPsi}"));
        }

        return problems;
    }

    private static void AtLeastOne(List<string> problems, string name, int value)
    {
        if (value < 1)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be at least 1, got {value}"));
        }
    }

    private static void Rate(List<string> problems, string name, double value)
    {
        if (!(value > 0 && value < 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be within (0, 1), got {value}"));
        }
    }

    private static void Ratio(List<string> problems, string name, double value)
    {
        if (!(value > 1 && double.IsFinite(value)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be a ratio above 1, got {value}"));
        }
    }
}
