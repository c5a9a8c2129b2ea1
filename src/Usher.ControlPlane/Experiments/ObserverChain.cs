using Usher.Core.Routing;

namespace Usher.ControlPlane.Experiments;

/// <summary>Hands each routed request to two observers (the rollout analysis and the experiments).</summary>
internal sealed class ObserverChain(IRouteObserver first, IRouteObserver second) : IRouteObserver
{
    public ObservationNeeds Needs(string endpoint, string? routingKey) => first.Needs(endpoint, routingKey) | second.Needs(endpoint, routingKey);

    public void Observe(in RouteObservation observation)
    {
        first.Observe(in observation);
        second.Observe(in observation);
    }
}
