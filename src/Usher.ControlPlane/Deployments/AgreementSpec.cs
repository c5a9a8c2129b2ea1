namespace Usher.ControlPlane.Deployments;

/// <summary>
/// Blue-green validation by agreement: the last requests the endpoint served are replayed on the
/// current and the new version, and their outputs must agree.
/// </summary>
/// <param name="Samples">How many recorded requests to replay (at most; fewer when fewer were served). Default 50.</param>
/// <param name="Tolerance">The largest absolute difference per output element that still agrees. Default 1e-4.</param>
/// <param name="MinAgreement">The share of replayed requests that must agree, 0 to 1. Default 1.0.</param>
/// <param name="Outputs">The outputs compared (e.g. only the label); null or empty = every output.</param>
internal sealed record AgreementSpec(int Samples = 50, double Tolerance = 1e-4, double MinAgreement = 1.0, IReadOnlyList<string>? Outputs = null);
