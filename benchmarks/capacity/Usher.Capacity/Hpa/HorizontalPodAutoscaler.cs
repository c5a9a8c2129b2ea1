namespace Usher.Capacity.Hpa;

/// <summary>
/// One HorizontalPodAutoscaler's controller loop with <c>behavior</c>, as kubernetes/pkg/controller/
/// podautoscaler/horizontal.go runs it each sync period: the replica calculator's recommendation is
/// stabilised (scale-up: the lowest of its window; scale-down: the highest of its window), then
/// limited by the direction's rate policies counted from the replicas at the start of each policy's
/// period, then clamped to min and max replicas.
/// </summary>
internal sealed class HorizontalPodAutoscaler(HpaSpec spec)
{
    private readonly List<(double At, int Replicas)> _recommendations = [];
    private readonly List<(double At, int Change)> _scaleUps = [];
    private readonly List<(double At, int Change)> _scaleDowns = [];
    private bool _started;

    public HpaSpec Spec { get; } = spec;

    /// <summary>
    /// One sync at <paramref name="now"/> seconds: the replicas the scale should have. With a second
    /// metric (<see cref="HpaSpec.CpuTarget"/>, its values in <paramref name="cpuValues"/>) the larger recommendation wins.
    /// </summary>
    public int Reconcile(double now, int currentReplicas, IReadOnlyList<double> readyValues, int starting, IReadOnlyList<double>? cpuValues = null)
    {
        var raw = ReplicaCalculator.Desired(currentReplicas, readyValues, starting, Spec.Target, Spec.Tolerance, Spec.Starting);
        if (Spec.CpuTarget is { } cpuTarget && cpuValues is not null)
        {
            raw = Math.Max(raw, ReplicaCalculator.Desired(currentReplicas, cpuValues, starting, cpuTarget, Spec.Tolerance, StartingPods.Ignored));
        }

        var stabilized = Stabilize(now, currentReplicas, raw);
        var desired = LimitRate(now, currentReplicas, stabilized);
        if (desired > currentReplicas)
        {
            _scaleUps.Add((now, desired - currentReplicas));
        }
        else if (desired < currentReplicas)
        {
            _scaleDowns.Add((now, currentReplicas - desired));
        }

        return desired;
    }

    private int Stabilize(double now, int current, int raw)
    {
        if (!_started)
        {
            // A new HPA starts its scale-down window with the current replicas (maybeInitScaleDownStabilizationWindow).
            _started = true;
            _recommendations.Add((now, current));
        }

        var up = raw;
        var down = raw;
        var upCutoff = now - Spec.ScaleUp.StabilizationWindowSeconds;
        var downCutoff = now - Spec.ScaleDown.StabilizationWindowSeconds;
        foreach (var (at, replicas) in _recommendations)
        {
            if (at > upCutoff)
            {
                up = Math.Min(up, replicas);
            }

            if (at > downCutoff)
            {
                down = Math.Max(down, replicas);
            }
        }

        var longest = Math.Max(Spec.ScaleUp.StabilizationWindowSeconds, Spec.ScaleDown.StabilizationWindowSeconds);
        _recommendations.RemoveAll(r => r.At <= now - longest);
        _recommendations.Add((now, raw));
        return Math.Min(Math.Max(current, up), down);
    }

    private int LimitRate(double now, int current, int desired)
    {
        if (desired > current)
        {
            var limit = Math.Max(current, ScaleUpLimit(now, current));
            return Math.Min(desired, Math.Min(Spec.MaxReplicas, limit));
        }

        if (desired < current)
        {
            var limit = Math.Min(current, ScaleDownLimit(now, current));
            return Math.Max(desired, Math.Max(Spec.MinReplicas, limit));
        }

        return Math.Clamp(desired, Spec.MinReplicas, Spec.MaxReplicas);
    }

    private int ScaleUpLimit(double now, int current)
    {
        var rules = Spec.ScaleUp;
        if (rules.Select == SelectPolicy.Disabled)
        {
            return current;
        }

        var result = rules.Select == SelectPolicy.Min ? int.MaxValue : int.MinValue;
        foreach (var policy in rules.Policies)
        {
            var start = PeriodStart(now, current, policy.PeriodSeconds);
            var proposed = policy.Type == ScalingPolicyType.Pods
                ? start + policy.Value
                : (int)Math.Ceiling(start * (1 + (policy.Value / 100.0)));
            result = rules.Select == SelectPolicy.Min ? Math.Min(result, proposed) : Math.Max(result, proposed);
        }

        return result;
    }

    private int ScaleDownLimit(double now, int current)
    {
        var rules = Spec.ScaleDown;
        if (rules.Select == SelectPolicy.Disabled)
        {
            return current;
        }

        var result = rules.Select == SelectPolicy.Min ? int.MinValue : int.MaxValue;
        foreach (var policy in rules.Policies)
        {
            var start = PeriodStart(now, current, policy.PeriodSeconds);

            // Truncation, as the controller's int32 conversion: 10% of 72 removes 8, not 7.
            var proposed = policy.Type == ScalingPolicyType.Pods
                ? start - policy.Value
                : (int)(start * (1 - (policy.Value / 100.0)));
            result = rules.Select == SelectPolicy.Min ? Math.Max(result, proposed) : Math.Min(result, proposed);
        }

        return result;
    }

    // The replicas at the start of a policy's period: what the events inside it added or removed, undone.
    private int PeriodStart(double now, int current, int periodSeconds)
    {
        var cutoff = now - periodSeconds;
        var added = _scaleUps.Where(e => e.At > cutoff).Sum(e => e.Change);
        var removed = _scaleDowns.Where(e => e.At > cutoff).Sum(e => e.Change);
        return current - added + removed;
    }
}
