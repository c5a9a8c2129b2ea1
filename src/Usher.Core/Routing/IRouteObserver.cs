namespace Usher.Core.Routing;

/// <summary>
/// Sees the routed requests of the endpoints it watches (the rollout analysis, the experiments, the
/// shadow mirror). <see cref="Needs"/> runs on the request path and must be cheap and allocation
/// free; <see cref="Observe"/> runs on the observation channel's own task, never on a request's path.
/// Neither may throw.
/// </summary>
internal interface IRouteObserver
{
    /// <summary>What the observer wants of a request to <paramref name="endpoint"/> carrying <paramref name="routingKey"/> (checked before anything is allocated).</summary>
    ObservationNeeds Needs(string endpoint, string? routingKey);

    /// <summary>Records one routed request.</summary>
    void Observe(in RouteObservation observation);
}
