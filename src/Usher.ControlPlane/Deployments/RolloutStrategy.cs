namespace Usher.ControlPlane.Deployments;

/// <summary>How a deployment moves an endpoint's traffic to a new version.</summary>
internal enum RolloutStrategy
{
    /// <summary>All traffic switches at once, without validation or analysis.</summary>
    Direct,

    /// <summary>Validate the new version beside the old, switch all traffic atomically, keep the old one for a rollback window.</summary>
    BlueGreen,

    /// <summary>Raise the new version's weight in steps, each judged against the stable version over the same window.</summary>
    Canary,

    /// <summary>Mirror a share of the traffic to the new version, compare its answers (never returned), then start a canary.</summary>
    Shadow,
    /// <summary>An A/B test: fixed weights over two or more versions, judged on reported outcomes until an operator ends it.</summary>
    Ab,

    /// <summary>A Thompson-sampling bandit: like an A/B test, but the weights follow the binary outcome.</summary>
    Bandit,
}
