namespace Usher.Core.Routing;

/// <summary>
/// Sees every routed request of the endpoints it watches (the rollout analysis records samples
/// here). Called on the request's path after the answer is known: it must be cheap and must not throw.
/// </summary>
public interface IRouteObserver
{
    /// <summary>Whether the observer wants the requests of <paramref name="endpoint"/> (checked before anything is allocated).</summary>
    bool IsObserving(string endpoint);

    /// <summary>Records one routed request.</summary>
    void Observe(RouteObservation observation);
}
