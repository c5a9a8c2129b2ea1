namespace Usher.Capacity.Hpa;

/// <summary>One rate limit of a scaling direction: at most <paramref name="Value"/> pods or percent per <paramref name="PeriodSeconds"/>.</summary>
internal sealed record ScalingPolicy(ScalingPolicyType Type, int Value, int PeriodSeconds);
