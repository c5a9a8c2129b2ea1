namespace Usher.ControlPlane.Deployments;

/// <summary>A shadow deployment's settings.</summary>
/// <param name="Percent">The share of the endpoint's routed requests mirrored to the shadow, 1 to 100 (sticky per routing key). Default 100.</param>
/// <param name="Queue">How many copies may wait for the shadow; when full, copies are dropped and counted. Default 1000.</param>
/// <param name="Tolerance">For outputs without labels: the largest absolute score difference that still agrees. Default 1e-4.</param>
/// <param name="Gate">Promotes the shadow to a canary on its own when met; null waits for an operator.</param>
internal sealed record ShadowSpec(double Percent, int Queue, double Tolerance, ShadowGateSpec? Gate)
{
    /// <summary>The defaults: mirror everything through a queue of 1000, no gate.</summary>
    public static ShadowSpec Default { get; } = new(100, 1000, 1e-4, null);
}
