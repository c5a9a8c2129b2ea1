namespace Usher.ControlPlane.Deployments;

/// <summary>A parsed deployment spec, or every problem found in it.</summary>
/// <param name="Spec">The spec when there were no problems.</param>
/// <param name="Errors">Every problem with its key path (empty on success).</param>
internal sealed record DeploymentSpecResult(DeploymentSpec? Spec, IReadOnlyList<DeploymentSpecProblem> Errors)
{
    /// <summary>Every problem as text, each starting with its key path (empty on success).</summary>
    public IReadOnlyList<string> Problems { get; } = [.. Errors.Select(e => e.ToString())];
}
