namespace Usher.Capacity.Hpa;

/// <summary><c>behavior.scale{Up,Down}.policies[].type</c>.</summary>
internal enum ScalingPolicyType
{
    /// <summary>A number of pods per period.</summary>
    Pods,

    /// <summary>A percentage of the replicas at the start of the period.</summary>
    Percent,
}
