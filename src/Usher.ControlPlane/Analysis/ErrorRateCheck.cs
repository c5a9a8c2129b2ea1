namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The "error_rate" check. With at least <see cref="AnalysisSettings.MinRequests"/> requests per
/// variant it fails when the canary's error rate is above <see cref="AnalysisSettings.MaxErrorRate"/>, or
/// when a one-sided two-proportion z-test finds it above stable's at <see cref="AnalysisSettings.Alpha"/>;
/// otherwise it passes.
/// <para>
/// Early fail: before the minimum is reached it fails as soon as the canary has
/// <see cref="EarlyFailMinRequests"/> requests and the lower end of the two-sided 99% Wilson interval
/// of its error rate is above the limit, i.e. the canary is over the limit beyond reasonable doubt
/// whatever stable does. Otherwise it waits.
/// </para>
/// </summary>
internal static class ErrorRateCheck
{
    /// <summary>The check's name in reports.</summary>
    public const string Name = "error_rate";

    /// <summary>Canary requests needed before the early-fail rule applies.</summary>
    public const int EarlyFailMinRequests = 20;

    /// <summary>Confidence of the Wilson interval of the early-fail rule.</summary>
    public const double EarlyFailConfidence = 0.99;

    public static CheckResult Run(VariantSample stable, VariantSample canary, AnalysisSettings settings)
    {
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
        };

        var wilsonLower = WilsonInterval.Lower(canary.Errors, canary.Requests, EarlyFailConfidence);
        statistics["canary_error_rate_wilson99_lower"] = wilsonLower;

        TwoProportionResult? test = null;
        if (stable.Requests > 0 && canary.Requests > 0)
        {
            test = TwoProportionZTest.Test(stable.Errors, stable.Requests, canary.Errors, canary.Requests, Alternative.Greater);
            statistics["z"] = test.Z;
            statistics["p"] = test.PValue;
        }

        var rates = $"canary error rate {DetailFormat.Percent(canaryRate)} ({DetailFormat.Count(canary.Errors)}/{DetailFormat.Count(canary.Requests)}) " +
            $"vs stable {DetailFormat.Percent(stableRate)} ({DetailFormat.Count(stable.Errors)}/{DetailFormat.Count(stable.Requests)})";
        var limit = DetailFormat.Percent(settings.MaxErrorRate);

        if (stable.Requests < settings.MinRequests || canary.Requests < settings.MinRequests)
        {
            if (canary.Requests >= EarlyFailMinRequests && wilsonLower > settings.MaxErrorRate)
            {
                return new CheckResult(Name, CheckOutcome.Fail,
                    $"{rates}: above the {limit} limit (early: its 99% Wilson lower bound {DetailFormat.Percent(wilsonLower)} " +
                    $"is above it after {DetailFormat.Count(canary.Requests)} requests)", statistics);
            }

            return new CheckResult(Name, CheckOutcome.Wait,
                $"{rates}: waiting for {DetailFormat.Count(settings.MinRequests)} requests per variant", statistics);
        }

        if (canaryRate > settings.MaxErrorRate)
        {
            return new CheckResult(Name, CheckOutcome.Fail, $"{rates}: above the {limit} limit", statistics);
        }

        if (test!.PValue < settings.Alpha)
        {
            return new CheckResult(Name, CheckOutcome.Fail,
                $"{rates}: significantly above stable (one-sided z = {DetailFormat.Number(test.Z)}, p = {DetailFormat.Number(test.PValue)} " +
                $"< α = {DetailFormat.Number(settings.Alpha)})", statistics);
        }

        return new CheckResult(Name, CheckOutcome.Pass,
            $"{rates}: within the {limit} limit and not significantly above stable (p = {DetailFormat.Number(test.PValue)})", statistics);
    }

    private static double Rate(VariantSample sample) => sample.Requests > 0 ? (double)sample.Errors / sample.Requests : 0.0;
}
