namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The "prediction_drift" check: does the canary predict differently from stable on the same traffic?
/// <list type="bullet">
/// <item>Scores in both variants (non-finite scores dropped): PSI over stable's deciles
/// (<see cref="PopulationStabilityIndex.FromSamples"/>) and a two-sample Kolmogorov-Smirnov test are
/// reported; the PSI gates.</item>
/// <item>Otherwise labels in both: categorical PSI and the χ² homogeneity p of the label counts are
/// reported with each label's share; the PSI gates.</item>
/// <item>Otherwise: Pass, "no predictions to compare".</item>
/// </list>
/// The compared kind needs <see cref="AnalysisSettings.MinPredictions"/> per variant, else Wait; a PSI at
/// or above <see cref="AnalysisSettings.MaxPsi"/> fails when a sequential test also rejects equal
/// distributions at the check's share of <see cref="AnalysisSettings.Alpha"/> (small samples inflate the
/// PSI): Pearson's χ² of the same bins (stable's deciles for scores, one bin per label for labels) fed
/// to <see cref="MixtureSequentialTest"/> with d = bins − 1. Being always valid, it may fail at any look;
/// at the step's last look (<c>final</c>) the fixed-horizon KS (scores) or χ² (labels) test at α also counts.
/// </summary>
internal static class PredictionDriftCheck
{
    /// <summary>The check's name in reports.</summary>
    public const string Name = "prediction_drift";

    public static CheckResult Run(VariantSample stable, VariantSample canary, AnalysisSettings settings, bool final)
    {
        using var stableScores = SortedSample.OfScores(stable.Scores);
        using var canaryScores = SortedSample.OfScores(canary.Scores);
        if (stableScores.Count > 0 && canaryScores.Count > 0)
        {
            return CompareScores(stableScores, canaryScores, settings, final);
        }

        if (stable.Labels.Count > 0 && canary.Labels.Count > 0)
        {
            return CompareLabels(stable.Labels, canary.Labels, settings, final);
        }

        var statistics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["stable_scores"] = stableScores.Count,
            ["stable_labels"] = stable.Labels.Count,
            ["canary_scores"] = canaryScores.Count,
            ["canary_labels"] = canary.Labels.Count,
        };
        var detail = statistics.Values.All(v => v == 0)
            ? "no predictions to compare"
            : $"no predictions to compare: no kind is in both variants (stable {DetailFormat.Count(stableScores.Count)} scores, " +
              $"{DetailFormat.Count(stable.Labels.Count)} labels; canary {DetailFormat.Count(canaryScores.Count)} scores, {DetailFormat.Count(canary.Labels.Count)} labels)";
        return new CheckResult(Name, CheckOutcome.Pass, detail, statistics);
    }

    // Both samples sorted (SortedSample): the deciles, KS and the bins read them without copying.
    private static CheckResult CompareScores(in SortedSample stable, in SortedSample canary, AnalysisSettings settings, bool final)
    {
        var statistics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["stable_predictions"] = stable.Count,
            ["canary_predictions"] = canary.Count,
        };
        if (stable.Count < settings.MinPredictions || canary.Count < settings.MinPredictions)
        {
            return Wait("scores", stable.Count, canary.Count, settings, statistics);
        }

        var (stableBins, canaryBins) = PopulationStabilityIndex.DecileCountsOfSorted(stable.Values, canary.Values);
        var psi = PopulationStabilityIndex.FromCounts(stableBins, canaryBins);
        var ks = KolmogorovSmirnov.TestSorted(stable.Values, canary.Values);
        var bins = ChiSquareHomogeneity.Test(stableBins, canaryBins);
        statistics["psi"] = psi;
        statistics["bins_chi_square"] = bins.Statistic;
        statistics["ks_d"] = ks.D;
        statistics["ks_p"] = ks.PValue;
        statistics["stable_score_mean"] = stable.Sum / stable.Count;
        statistics["canary_score_mean"] = canary.Sum / canary.Count;

        var numbers = $"score PSI {DetailFormat.Number(psi)} over {DetailFormat.Count(stable.Count)} stable and {DetailFormat.Count(canary.Count)} canary scores " +
            $"(KS D = {DetailFormat.Number(ks.D)}, p = {DetailFormat.Number(ks.PValue)})";
        return Decide(psi, bins, ks.PValue, final, stable.Count + canary.Count, numbers, settings, statistics);
    }

    private static CheckResult CompareLabels(IReadOnlyList<string> stable, IReadOnlyList<string> canary, AnalysisSettings settings, bool final)
    {
        var statistics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["stable_predictions"] = stable.Count,
            ["canary_predictions"] = canary.Count,
        };
        if (stable.Count < settings.MinPredictions || canary.Count < settings.MinPredictions)
        {
            return Wait("labels", stable.Count, canary.Count, settings, statistics);
        }

        var table = LabelTable.From(stable, canary);
        var psi = PopulationStabilityIndex.FromShares(table.SharesA, table.SharesB);
        var chi = ChiSquareHomogeneity.Test(table.CountsA, table.CountsB);
        statistics["psi"] = psi;
        statistics["chi_square"] = chi.Statistic;
        statistics["chi_square_p"] = chi.PValue;
        for (var i = 0; i < table.Labels.Count; i++)
        {
            statistics[$"stable_share[{table.Labels[i]}]"] = table.SharesA[i];
            statistics[$"canary_share[{table.Labels[i]}]"] = table.SharesB[i];
        }

        var numbers = $"label PSI {DetailFormat.Number(psi)} over {DetailFormat.Count(stable.Count)} stable and {DetailFormat.Count(canary.Count)} canary labels " +
            $"(χ² = {DetailFormat.Number(chi.Statistic)}, p = {DetailFormat.Number(chi.PValue)})";
        return Decide(psi, chi, chi.PValue, final, stable.Count + canary.Count, numbers, settings, statistics);
    }

    // PSI over small samples is biased upwards (about (bins - 1)·(1/n₁ + 1/n₂) when nothing changed:
    // 0.18 with 100 scores a side), so a PSI over the limit fails only when the sequential test of the
    // same bins also rejects. With large samples it always rejects a real PSI ≥ 0.2, so the PSI limit decides.
    private static CheckResult Decide(double psi, ChiSquareResult bins, double fixedP, bool final, long n, string numbers, AnalysisSettings settings, Dictionary<string, double> statistics)
    {
        var alpha = CanaryAnalysis.SequentialAlpha(settings);
        var p = MixtureSequentialTest.PValue(bins.Statistic, bins.DegreesOfFreedom, n, alpha, CanaryAnalysis.SequentialTuningN);
        statistics["always_valid_p"] = p;
        statistics["sequential_alpha"] = alpha;
        if (psi < settings.MaxPsi)
        {
            return new CheckResult(Name, CheckOutcome.Pass, $"{numbers}: below the {DetailFormat.Number(settings.MaxPsi)} limit", statistics);
        }

        // At the step's end the fixed-horizon test (KS for scores, χ² for labels) at α decides too, as
        // before: the sequential test buys early stopping with less power at small samples.
        return p <= alpha || (final && fixedP < settings.Alpha)
            ? new CheckResult(Name, CheckOutcome.Fail, $"{numbers}: at or above the {DetailFormat.Number(settings.MaxPsi)} limit (always-valid p = {DetailFormat.Number(p)})", statistics)
            : new CheckResult(Name, CheckOutcome.Pass, $"{numbers}: at or above the {DetailFormat.Number(settings.MaxPsi)} limit but not significant (always-valid p > {DetailFormat.Number(alpha)}): sampling noise at this sample size", statistics);
    }

    private static CheckResult Wait(string kind, int stable, int canary, AnalysisSettings settings, Dictionary<string, double> statistics) =>
        new(Name, CheckOutcome.Wait,
            $"{DetailFormat.Count(stable)} stable and {DetailFormat.Count(canary)} canary {kind}: waiting for {DetailFormat.Count(settings.MinPredictions)} per variant",
            statistics);
}
