namespace Usher.ControlPlane.Experiments;

/// <summary>An always-valid confidence sequence at one look.</summary>
/// <param name="Lower">Lower end of the confidence sequence.</param>
/// <param name="Upper">Upper end.</param>
/// <param name="PValue">Always-valid p-value, min(1, 1/E); reject H0 at any look when it is at most α.</param>
internal sealed record SequentialResult(double Lower, double Upper, double PValue);
