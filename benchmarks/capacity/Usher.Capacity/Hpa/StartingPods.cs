namespace Usher.Capacity.Hpa;

/// <summary>
/// How the replica calculator counts pods that are not ready yet when the metric says scale down.
/// On a scale-up both count them at 0.
/// </summary>
internal enum StartingPods
{
    /// <summary>CPU: not-ready pods are set aside (they are "unready", not "missing").</summary>
    Ignored,

    /// <summary>A Pods or External metric: a pod without a sample is "missing" and counts at the target.</summary>
    AtTarget,
}
