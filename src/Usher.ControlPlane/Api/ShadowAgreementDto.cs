namespace Usher.ControlPlane.Api;

/// <summary>How often a shadow agrees with the primary, with its 95% Wilson interval.</summary>
/// <param name="Basis">label, score or output.</param>
/// <param name="Compared">Rows compared.</param>
/// <param name="Agreed">Rows that agreed.</param>
/// <param name="Rate">Agreed / compared.</param>
/// <param name="CiLow">The interval's low end.</param>
/// <param name="CiHigh">Its high end.</param>
/// <param name="Confidence">The interval's confidence.</param>
public sealed record ShadowAgreementDto(string? Basis, long Compared, long Agreed, double Rate, double CiLow, double CiHigh, double Confidence);
