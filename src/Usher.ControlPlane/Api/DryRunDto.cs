namespace Usher.ControlPlane.Api;

/// <summary>The answer of <c>POST /admin/deployments?dry_run=true</c>: the spec as the server would run it.</summary>
/// <param name="DryRun">Always true.</param>
/// <param name="Spec">The normalized spec.</param>
public sealed record DryRunDto(bool DryRun, System.Text.Json.JsonElement? Spec);
