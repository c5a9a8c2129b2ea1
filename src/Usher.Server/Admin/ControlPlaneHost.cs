using Usher.ControlPlane.Rollouts;

namespace Usher.Server.Admin;

/// <summary>Holds the rollout controller once the control plane has started (the admin API answers 503 before).</summary>
internal sealed class ControlPlaneHost
{
    private readonly TaskCompletionSource<RolloutController> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RolloutController? _controller;

    /// <summary>The controller, or null while starting and after stopping.</summary>
    public RolloutController? Controller => _controller;

    /// <summary>Completes when the controller has started (route tables published, clock running).</summary>
    public Task<RolloutController> Started => _started.Task;

    /// <summary>The state store in use, once opened: the file's path, or the database's URI without its password.</summary>
    public string? StatePath { get; set; }

    /// <summary>This replica's place among the replicas sharing a PostgreSQL state database; null with a state file (one machine).</summary>
    public Cluster.ReplicaCluster? Cluster { get; set; }

    /// <summary>Stored state that start-up found naming models or versions missing from the repository (not resumed).</summary>
    public IReadOnlyList<StaleStateEntry> Stale { get; set; } = [];

    public void SetStarted(RolloutController controller)
    {
        _controller = controller;
        _started.TrySetResult(controller);
    }

    public void SetStopped() => _controller = null;
}
