namespace Usher.Capacity.Hpa;

/// <summary>
/// The desired replica count from one metric, as Kubernetes' replica calculator computes it
/// (kubernetes/pkg/controller/podautoscaler/replica_calculator.go):
/// <c>desired = ceil(ready x average / target)</c>, no change within the tolerance, and pods that are
/// still starting counted conservatively (0 on a scale-up; on a scale-down set aside for CPU, at the
/// target for a Pods metric); if that flips the direction or lands within the tolerance, no change.
/// </summary>
internal static class ReplicaCalculator
{
    /// <param name="currentReplicas">The scale's replicas (ready and starting).</param>
    /// <param name="readyValues">The metric of each ready pod.</param>
    /// <param name="starting">Pods created and not ready yet (no usable sample).</param>
    /// <param name="target">The per-pod target.</param>
    /// <param name="tolerance">The tolerance around 1.</param>
    /// <param name="startingPods">How starting pods count on a scale-down.</param>
    public static int Desired(int currentReplicas, IReadOnlyList<double> readyValues, int starting, double target, double tolerance, StartingPods startingPods)
    {
        ArgumentNullException.ThrowIfNull(readyValues);
        if (readyValues.Count == 0)
        {
            // No metric at all: the controller reports an error and leaves the scale alone.
            return currentReplicas;
        }

        var sum = readyValues.Sum();
        var ready = readyValues.Count;
        var usage = sum / ready / target;
        if (starting == 0 || (usage < 1 && startingPods == StartingPods.Ignored))
        {
            return Math.Abs(1 - usage) <= tolerance ? currentReplicas : (int)Math.Ceiling(usage * ready);
        }

        var counted = ready + starting;
        var rebalanced = usage > 1
            ? sum / counted / target
            : (sum + (starting * target)) / counted / target;
        if (Math.Abs(1 - rebalanced) <= tolerance || (usage < 1 && rebalanced > 1) || (usage > 1 && rebalanced < 1))
        {
            return currentReplicas;
        }

        var desired = (int)Math.Ceiling(rebalanced * counted);
        return (rebalanced < 1 && desired > currentReplicas) || (rebalanced > 1 && desired < currentReplicas) ? currentReplicas : desired;
    }
}
