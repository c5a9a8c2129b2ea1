using System.Globalization;
using Usher.ControlPlane.Deployments;

namespace Usher.ControlPlane.Shadow;

/// <summary>Whether a shadow's comparison meets its gate, with a sentence saying why.</summary>
internal static class ShadowGate
{
    /// <summary>
    /// Passes when at least <see cref="ShadowGateSpec.MinSamples"/> pairs were compared, the agreement
    /// (the point estimate; the report shows its interval) is at least <see cref="ShadowGateSpec.MinAgreement"/>,
    /// and the shadow's p99 latency is within <see cref="ShadowGateSpec.MaxLatencyP99Ratio"/> of the primary's.
    /// </summary>
    public static (bool Passed, string Detail) Evaluate(ShadowGateSpec gate, ShadowReport report)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;
        if (report.Pairs < gate.MinSamples)
        {
            return (false, string.Create(c, $"waiting for samples: {report.Pairs} of {gate.MinSamples} mirrored pairs compared"));
        }

        var agreement = string.Create(c, $"agreement {report.Agreed}/{report.Compared} = {report.Agreement * 100:0.##}% (95% CI {report.AgreementInterval.Low * 100:0.##}–{report.AgreementInterval.High * 100:0.##}%, required {gate.MinAgreement * 100:0.##}%)");
        var (primaryP99, shadowP99) = (report.PrimaryLatencyMs.P99, report.ShadowLatencyMs.P99);
        var latencyOk = shadowP99 <= gate.MaxLatencyP99Ratio * primaryP99;
        var latency = string.Create(c, $"p99 latency {shadowP99:0.###} ms vs primary {primaryP99:0.###} ms (limit {gate.MaxLatencyP99Ratio:0.##}×)");
        var agreementOk = report.Agreement >= gate.MinAgreement;
        return (agreementOk && latencyOk, $"{agreement}; {latency}");
    }
}
