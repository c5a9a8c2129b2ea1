namespace Usher.ControlPlane.Deployments;

/// <summary>
/// When a shadow becomes a canary on its own: once at least <paramref name="MinSamples"/> mirrored
/// pairs were compared, their agreement is at least <paramref name="MinAgreement"/> and the shadow's
/// p99 latency is at most <paramref name="MaxLatencyP99Ratio"/> times the primary's.
/// </summary>
/// <param name="MinAgreement">The share of compared predictions that must agree (top-1 label, or score within tolerance), 0 to 1. Default 0.99.</param>
/// <param name="MaxLatencyP99Ratio">The largest shadow p99 / primary p99 latency. Default 1.5.</param>
/// <param name="MinSamples">The mirrored pairs needed before the gate decides. Default 500.</param>
internal sealed record ShadowGateSpec(double MinAgreement = 0.99, double MaxLatencyP99Ratio = 1.5, int MinSamples = 500);
