namespace Usher.Capacity.Hpa;

/// <summary>
/// <c>behavior.scaleUp</c> or <c>behavior.scaleDown</c> of an autoscaling/v2 HorizontalPodAutoscaler.
/// </summary>
/// <param name="StabilizationWindowSeconds">Scale-up takes the lowest, scale-down the highest recommendation of this window.</param>
/// <param name="Select">Which policy wins when several apply.</param>
/// <param name="Policies">The rate limits.</param>
internal sealed record ScalingRules(int StabilizationWindowSeconds, SelectPolicy Select, IReadOnlyList<ScalingPolicy> Policies)
{
    /// <summary>Kubernetes' default scale-up: no window; max(100%, 4 pods) per 15 s.</summary>
    public static ScalingRules DefaultScaleUp { get; } = new(0, SelectPolicy.Max,
        [new ScalingPolicy(ScalingPolicyType.Percent, 100, 15), new ScalingPolicy(ScalingPolicyType.Pods, 4, 15)]);

    /// <summary>Kubernetes' default scale-down: a 300 s window; 100% per 15 s.</summary>
    public static ScalingRules DefaultScaleDown { get; } = new(300, SelectPolicy.Max,
        [new ScalingPolicy(ScalingPolicyType.Percent, 100, 15)]);
}
