namespace Usher.Core.Routing;

/// <summary>Where an endpoint's mirrored requests go: a model version that never answers a client.</summary>
/// <param name="Model">The model that runs the copies.</param>
/// <param name="Version">The shadow version.</param>
/// <param name="Percent">The share of the endpoint's routed requests mirrored, 0 to 100 (sticky per routing key).</param>
/// <param name="QueueCapacity">How many copies may wait for the shadow; more are dropped and counted.</param>
internal sealed record ShadowTarget(string Model, long Version, double Percent, int QueueCapacity)
{
    /// <summary>The shadow's variant name, <c>model:version</c>.</summary>
    public string Name => RouteVariant.Format(Model, Version);
}
