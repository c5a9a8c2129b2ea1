namespace Usher.ControlPlane.Rollouts;

/// <summary>The rollout controller's settings.</summary>
internal sealed record RolloutOptions
{
    /// <summary>How often the controller evaluates active rollouts. Default 1 s.</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Before a step's interval ends any check may roll back (every test is sequential), once the
    /// canary has at least this many requests in the window. Default 20.
    /// </summary>
    public int EarlyFailMinRequests { get; init; } = 20;
}
