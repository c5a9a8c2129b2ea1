namespace Usher.ControlPlane.Deployments;

/// <summary>
/// One problem in a deployment spec: the key path it is about and what is wrong. The path lets a
/// client point at where the value came from (the CLI maps it to a line of the YAML file or to a flag).
/// </summary>
/// <param name="Path">
/// The key path, keys joined by dots and list items by index: <c>canary.steps[1]</c>,
/// <c>ab.variants[0].weight</c>; empty for a problem about the whole spec.
/// </param>
/// <param name="Message">What was expected and what came, or what to fix.</param>
internal sealed record DeploymentSpecProblem(string Path, string Message)
{
    /// <summary>The problem as the admin API and the CLI print it: <c>canary.interval: ...</c>.</summary>
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
