namespace Usher.ControlPlane.Api;

/// <summary>Server-side latencies of the mirrored pairs, in ms.</summary>
/// <param name="Samples">Pairs measured.</param>
/// <param name="PrimaryP50">The primary's median.</param>
/// <param name="PrimaryP99">The primary's p99.</param>
/// <param name="ShadowP50">The shadow's median.</param>
/// <param name="ShadowP99">The shadow's p99.</param>
public sealed record ShadowLatencyDto(int Samples, double PrimaryP50, double PrimaryP99, double ShadowP50, double ShadowP99);
