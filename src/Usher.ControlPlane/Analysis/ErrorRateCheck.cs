namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The "error_rate" check. Two sequential (always-valid) tests may fail it at any look, once the canary
/// has <see cref="EarlyFailMinRequests"/> requests:
/// <list type="bullet">
/// <item>the canary's error rate is above <see cref="AnalysisSettings.MaxErrorRate"/>:
/// <see cref="BinomialMixtureTest"/> of H0 "rate ≤ limit" rejects at the check's share of α;</item>
/// <item>the canary's error rate is above stable's: given the errors seen so far, when both rates are
/// equal each error falls on the canary with probability s = n_canary / (n_canary + n_stable), its share
/// of the requests; <see cref="BinomialMixtureTest"/> of H0 "share of errors ≤ s" on (canary errors,
/// all errors) rejects. Exact at small counts, where a normal approximation raises false alarms.</item>
/// </list>
/// At the end of a step (<c>final</c>) a canary whose measured rate is above the limit fails too, as
/// before: a rule on the estimate, not a test. The fixed-horizon z and p, and the 99% Wilson lower
/// bound of the canary's rate, are reported beside the always-valid p-values. Otherwise it waits
/// until each variant has <see cref="AnalysisSettings.MinRequests"/> requests, then passes.
/// </summary>
internal static class ErrorRateCheck
{
    /// <summary>The check's name in reports.</summary>
    public const string Name = "error_rate";

    /// <summary>Canary requests needed before the check may fail early.</summary>
    public const int EarlyFailMinRequests = 20;

    /// <summary>Confidence of the reported Wilson interval.</summary>
    public const double WilsonConfidence = 0.99;

    public static CheckResult Run(VariantSample stable, VariantSample canary, AnalysisSettings settings, bool final)
    {
        var alpha = CanaryAnalysis.SequentialAlpha(settings);
        var stableRate = Rate(stable);
        var canaryRate = Rate(canary);
        var statistics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["stable_requests"] = stable.Requests,
            ["stable_errors"] = stable.Errors,
            ["stable_error_rate"] = stableRate,
            ["canary_requests"] = canary.Requests,
            ["canary_errors"] = canary.Errors,
            ["canary_error_rate"] = canaryRate,
            ["max_error_rate"] = settings.MaxErrorRate,
            ["sequential_alpha"] = alpha,
        };

        var wilsonLower = WilsonInterval.Lower(canary.Errors, canary.Requests, WilsonConfidence);
        statistics["canary_error_rate_wilson99_lower"] = wilsonLower;
        var limitP = BinomialMixtureTest.PValue(canary.Errors, canary.Requests, settings.MaxErrorRate);
        statistics["limit_always_valid_p"] = limitP;

        TwoProportionResult? test = null;
        var compareP = 1.0;
        if (stable.Requests > 0 && canary.Requests > 0)
        {
            test = TwoProportionZTest.Test(stable.Errors, stable.Requests, canary.Errors, canary.Requests, Alternative.Greater);
            statistics["z"] = test.Z;
            statistics["p"] = test.PValue;
            if (canary.Requests >= EarlyFailMinRequests && canaryRate > stableRate)
            {
                var share = (double)canary.Requests / (canary.Requests + stable.Requests);
                compareP = BinomialMixtureTest.PValue(canary.Errors, canary.Errors + stable.Errors, share);
            }

            statistics["always_valid_p"] = compareP;
        }

        var rates = $"canary error rate {DetailFormat.Percent(canaryRate)} ({DetailFormat.Count(canary.Errors)}/{DetailFormat.Count(canary.Requests)}) " +
            $"vs stable {DetailFormat.Percent(stableRate)} ({DetailFormat.Count(stable.Errors)}/{DetailFormat.Count(stable.Requests)})";
        var limit = DetailFormat.Percent(settings.MaxErrorRate);
        var enough = stable.Requests >= settings.MinRequests && canary.Requests >= settings.MinRequests;

        if (canaryRate > settings.MaxErrorRate && ((final && enough) || (canary.Requests >= EarlyFailMinRequests && limitP <= alpha)))
        {
            var why = enough ? "" : $" (early: always-valid p = {DetailFormat.Number(limitP)} ≤ {DetailFormat.Number(alpha)} after {DetailFormat.Count(canary.Requests)} requests)";
            return new CheckResult(Name, CheckOutcome.Fail, $"{rates}: above the {limit} limit{why}", statistics);
        }

        if (compareP <= alpha)
        {
            return new CheckResult(Name, CheckOutcome.Fail,
                $"{rates}: significantly above stable (always-valid p = {DetailFormat.Number(compareP)} ≤ {DetailFormat.Number(alpha)}; " +
                $"fixed-horizon z = {DetailFormat.Number(test!.Z)})", statistics);
        }

        if (canaryRate > settings.MaxErrorRate && enough)
        {
            return new CheckResult(Name, CheckOutcome.Wait,
                $"{rates}: above the {limit} limit but not beyond doubt yet (always-valid p = {DetailFormat.Number(limitP)}); the step's end decides", statistics);
        }

        if (!enough)
        {
            return new CheckResult(Name, CheckOutcome.Wait,
                $"{rates}: waiting for {DetailFormat.Count(settings.MinRequests)} requests per variant", statistics);
        }

        return new CheckResult(Name, CheckOutcome.Pass,
            $"{rates}: within the {limit} limit and not significantly above stable (always-valid p = {DetailFormat.Number(compareP)})", statistics);
    }

    private static double Rate(VariantSample sample) => sample.Requests > 0 ? (double)sample.Errors / sample.Requests : 0.0;
}
