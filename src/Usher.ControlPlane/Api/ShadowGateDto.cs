namespace Usher.ControlPlane.Api;

/// <summary>A shadow's gate and its verdict now.</summary>
/// <param name="MinAgreement">Agreement needed.</param>
/// <param name="MaxLatencyP99Ratio">Largest p99 ratio allowed.</param>
/// <param name="MinSamples">Pairs needed.</param>
/// <param name="Passed">Whether it passed.</param>
/// <param name="Detail">Why.</param>
public sealed record ShadowGateDto(double MinAgreement, double MaxLatencyP99Ratio, int MinSamples, bool Passed, string? Detail);
