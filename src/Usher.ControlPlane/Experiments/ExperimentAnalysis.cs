using System.Globalization;
using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Experiments;

/// <summary>
/// Judges an experiment from its arms' totals. Each treatment arm is compared with the control by
/// the always-valid confidence sequence (the decision rule, α split evenly over the comparisons),
/// with the fixed-horizon z-test or Welch's t-test and the delta-method relative lift reported beside
/// it. The SRM check runs first: when the assignment is broken no verdict is given.
/// </summary>
internal static class ExperimentAnalysis
{
    /// <summary>Analyzes <paramref name="arms"/> (any order) with <paramref name="weights"/> in percent by version.</summary>
    /// <param name="spec">The experiment's settings.</param>
    /// <param name="controlVersion">The control arm.</param>
    /// <param name="arms">Each arm's totals.</param>
    /// <param name="weights">Each arm's current weight, by version.</param>
    /// <param name="checkSrm">False for bandits, whose weights move.</param>
    public static ExperimentReport Analyze(ExperimentSpec spec, long controlVersion, IReadOnlyList<ArmTotals> arms, IReadOnlyDictionary<long, double> weights, bool checkSrm = true)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(weights);
        var kind = spec.Kind;
        var control = arms.FirstOrDefault(a => a.Version == controlVersion) ?? new ArmTotals(controlVersion, 0, 0, 0, 0);
        var treatments = arms.Where(a => a.Version != controlVersion).ToList();
        var alpha = spec.Alpha / Math.Max(1, treatments.Count);

        SrmResult? srm = null;
        if (checkSrm)
        {
            var ordered = new[] { control }.Concat(treatments).ToList();
            var chi = ChiSquareGoodnessOfFit.Test([.. ordered.Select(a => a.Assigned)], [.. ordered.Select(a => weights.GetValueOrDefault(a.Version))]);
            srm = new SrmResult(chi.Statistic, chi.PValue, spec.SrmThreshold, chi.PValue < spec.SrmThreshold);
        }

        var results = new List<ArmResult>
        {
            new(control.Version, weights.GetValueOrDefault(control.Version), control.Assigned, control.Units(kind), control.Outcomes, control.Mean(kind), ArmVerdict.Control, "the control arm", null),
        };
        foreach (var t in treatments)
        {
            results.Add(Compare(spec, alpha, control, t, weights.GetValueOrDefault(t.Version), srm?.Flagged == true));
        }

        string decision;
        long? winner = null;
        string summary;
        if (srm is { Flagged: true })
        {
            decision = "not yet";
            summary = string.Create(CultureInfo.InvariantCulture, $"sample ratio mismatch: assigned units {string.Join(" / ", results.Select(r => r.Assigned))} against weights {string.Join(" / ", results.Select(r => Percent(r.Weight)))} (χ² = {srm.ChiSquare:0.##}, p = {srm.PValue:G3} < {srm.Threshold:G3}); the assignment is broken and no result can be trusted");
        }
        else if (results.Where(r => r.Verdict == ArmVerdict.Winner).MaxBy(r => r.Mean) is { } best)
        {
            decision = "winner";
            winner = best.Version;
            summary = $"version {best.Version} wins: {best.Why}";
        }
        else if (treatments.Count > 0 && results.Skip(1).All(r => r.Verdict == ArmVerdict.Loser))
        {
            decision = "loser";
            winner = controlVersion;
            summary = $"every arm loses to the control (version {controlVersion}): {string.Join("; ", results.Skip(1).Select(r => $"{r.Version}: {r.Why}"))}";
        }
        else
        {
            decision = "not yet";
            summary = string.Join("; ", results.Skip(1).Select(r => $"version {r.Version}: {r.Why}"));
        }

        return new ExperimentReport(spec.Metric, kind, spec.Alpha, controlVersion, results, srm, decision, winner, summary);
    }

    private static ArmResult Compare(ExperimentSpec spec, double alpha, ArmTotals c, ArmTotals t, double weight, bool srmFlagged)
    {
        var kind = spec.Kind;
        long nC = c.Units(kind), nT = t.Units(kind);
        double mC = c.Mean(kind), mT = t.Mean(kind), vC = c.Variance(kind), vT = t.Variance(kind);
        var enough = nC >= Math.Max(2, spec.MinSamples) && nT >= Math.Max(2, spec.MinSamples);
        ArmComparison? comparison = null;
        if (nC >= 2 && nT >= 2 && (vC > 0 || vT > 0))
        {
            double ciLower, ciUpper, p;
            if (kind == OutcomeKind.Binary)
            {
                var z = TwoProportionZTest.Test((long)Math.Round(c.Sum), nC, (long)Math.Round(t.Sum), nT, confidence: 1 - alpha);
                (ciLower, ciUpper, p) = (z.CiLower, z.CiUpper, z.PValue);
            }
            else
            {
                var w = WelchTTest.Test(mC, vC, nC, mT, vT, nT, 1 - alpha);
                (ciLower, ciUpper, p) = (w.CiLower, w.CiUpper, w.PValue);
            }

            var (rel, relSe) = RelativeLift.Compute(mC, vC, nC, mT, vT, nT);
            var zq = NormalTail.Quantile(1 - (alpha / 2));
            var se = Math.Sqrt((vC / nC) + (vT / nT));
            var cs = ConfidenceSequence.Compute(mT - mC, se, nC + nT, alpha, spec.TuningN);
            comparison = new ArmComparison(mT - mC, ciLower, ciUpper, rel, rel - (zq * relSe), rel + (zq * relSe), p, cs.Lower, cs.Upper, cs.PValue);
        }

        ArmVerdict verdict;
        string why;
        if (srmFlagged)
        {
            (verdict, why) = (ArmVerdict.NotYet, "halted by the sample ratio mismatch");
        }
        else if (comparison is null || !enough)
        {
            var need = Math.Max(2, spec.MinSamples);
            (verdict, why) = (ArmVerdict.NotYet, string.Create(CultureInfo.InvariantCulture, $"not enough data ({nC} control and {nT} treatment units, at least {need} each{(comparison is null && enough ? " and some variation" : "")})"));
        }
        else
        {
            var numbers = Numbers(spec.Kind, mC, mT, comparison, alpha);
            (verdict, why) = comparison.SequentialPValue <= alpha
                ? comparison.AbsoluteLift > 0 ? (ArmVerdict.Winner, "better than the control: " + numbers) : (ArmVerdict.Loser, "worse than the control: " + numbers)
                : (ArmVerdict.NotYet, "no significant difference yet: " + numbers);
        }

        return new ArmResult(t.Version, weight, t.Assigned, nT, t.Outcomes, mT, verdict, why, comparison);
    }

    private static string Numbers(OutcomeKind kind, double mC, double mT, ArmComparison c, double alpha)
    {
        var f = kind == OutcomeKind.Binary ? "0.####" : "G4";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{mT.ToString(f, CultureInfo.InvariantCulture)} vs {mC.ToString(f, CultureInfo.InvariantCulture)}, lift {c.AbsoluteLift.ToString(f, CultureInfo.InvariantCulture)} ({c.RelativeLift:+0.#%;-0.#%;0%}), always-valid {1 - alpha:0.##%} interval [{c.SequentialLower:G3}, {c.SequentialUpper:G3}], p = {c.SequentialPValue:G3} (α = {alpha:G3})");
    }

    private static string Percent(double weight) => weight.ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
