namespace Usher.ControlPlane.Deployments;

/// <summary>A parsed deployment spec, or every problem found in it.</summary>
/// <param name="Spec">The spec when there were no problems.</param>
/// <param name="Problems">Every problem, each naming its key (empty on success).</param>
public sealed record DeploymentSpecResult(DeploymentSpec? Spec, IReadOnlyList<string> Problems);
