using Usher.ControlPlane.Rollouts;

namespace Usher.Server.Admin;

/// <summary>Holds the rollout controller once the control plane has started (the admin API answers 503 before).</summary>
internal sealed class ControlPlaneHost
{
    private volatile RolloutController? _controller;

    public RolloutController? Controller
    {
        get => _controller;
        set => _controller = value;
    }
}
