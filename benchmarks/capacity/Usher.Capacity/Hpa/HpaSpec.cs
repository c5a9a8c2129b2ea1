namespace Usher.Capacity.Hpa;

/// <summary>The parts of a HorizontalPodAutoscaler the simulation needs: one metric with an average target.</summary>
/// <param name="MinReplicas"><c>minReplicas</c>.</param>
/// <param name="MaxReplicas"><c>maxReplicas</c>.</param>
/// <param name="Target">The per-pod target (<c>averageUtilization</c> as a fraction, or <c>averageValue</c>).</param>
/// <param name="Tolerance">No change while |metric / target - 1| is within it (0.1, the controller's flag).</param>
/// <param name="ScaleUp"><c>behavior.scaleUp</c>.</param>
/// <param name="ScaleDown"><c>behavior.scaleDown</c>.</param>
/// <param name="Starting">How pods still starting count on a scale-down.</param>
/// <param name="CpuTarget">A second metric, CPU utilisation (a fraction); the HPA takes the larger of the two recommendations.</param>
internal sealed record HpaSpec(
    int MinReplicas,
    int MaxReplicas,
    double Target,
    double Tolerance,
    ScalingRules ScaleUp,
    ScalingRules ScaleDown,
    StartingPods Starting,
    double? CpuTarget = null)
{
    /// <summary>The controller's default tolerance.</summary>
    public const double DefaultTolerance = 0.1;

    /// <summary>The controller's sync period, seconds (<c>--horizontal-pod-autoscaler-sync-period</c>).</summary>
    public const int SyncPeriodSeconds = 15;

    /// <summary>The problems with this spec, empty when it is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MinReplicas < 1)
        {
            problems.Add($"min replicas: expected >= 1, got {MinReplicas}");
        }

        if (MaxReplicas < MinReplicas)
        {
            problems.Add($"max replicas: expected >= min replicas ({MinReplicas}), got {MaxReplicas}");
        }

        if (!(Target > 0) || !double.IsFinite(Target))
        {
            problems.Add($"target: expected a number > 0, got {Target}");
        }

        if (Tolerance is < 0 or >= 1)
        {
            problems.Add($"tolerance: expected 0 <= tolerance < 1, got {Tolerance}");
        }

        return problems;
    }
}
