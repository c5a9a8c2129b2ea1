namespace Usher.Core.Routing;

/// <summary>Settings of request routing (section <c>routing</c> of <c>usher.yaml</c>).</summary>
internal sealed class RoutingOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Routing";

    /// <summary>
    /// A request parameter that carries the routing key when the <c>x-usher-routing-key</c> header is
    /// absent (e.g. <c>user_id</c> in the inference request's <c>parameters</c>); default none.
    /// </summary>
    public string? KeyParameter { get; set; }

    /// <summary>
    /// Routed requests the observation channel holds for the control plane's observers (rollout
    /// analysis, experiments, shadows) before it drops them and counts them in
    /// <c>usher_observations_dropped_total</c>; default 8192.
    /// </summary>
    public int ObservationQueue { get; set; } = RouteObservations.DefaultCapacity;

    /// <summary>Every problem with these settings, empty when valid (the rules of <see cref="RoutingOptionsValidator"/>).</summary>
    public IEnumerable<string> Validate() => new RoutingOptionsValidator().Problems(this);
}
