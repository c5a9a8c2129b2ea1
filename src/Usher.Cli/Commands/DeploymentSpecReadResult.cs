namespace Usher.Cli.Commands;

/// <summary>What reading a deployment spec (a file or the flags) gave.</summary>
/// <param name="Spec">The values read; a refused value is left out (null).</param>
/// <param name="Problems">Every problem found, in the order found, ready to print.</param>
/// <param name="Refused">The key paths whose value was refused (e.g. <c>version</c>, <c>canary.steps[1]</c>), so that later rules do not blame them twice.</param>
internal sealed record DeploymentSpecReadResult(DeploymentSpec Spec, IReadOnlyList<string> Problems, IReadOnlyCollection<string> Refused)
{
    /// <summary>A failure that leaves nothing to read.</summary>
    public static DeploymentSpecReadResult Failed(string problem) => new(DeploymentSpec.Empty, [problem], []);
}
