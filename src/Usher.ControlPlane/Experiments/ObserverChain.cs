using Usher.Core.Routing;

namespace Usher.ControlPlane.Experiments;

/// <summary>Hands each routed request to two observers (the rollout analysis and the experiments).</summary>
internal sealed class ObserverChain(IRouteObserver first, IRouteObserver second) : IRouteObserver
{
    public bool IsObserving(string endpoint) => first.IsObserving(endpoint) || second.IsObserving(endpoint);

    public void Observe(RouteObservation observation)
    {
        if (first.IsObserving(observation.Endpoint))
        {
            first.Observe(observation);
        }

        if (second.IsObserving(observation.Endpoint))
        {
            second.Observe(observation);
        }
    }
}
