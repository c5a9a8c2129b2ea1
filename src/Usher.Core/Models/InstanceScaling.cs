namespace Usher.Core.Models;

/// <summary>
/// <c>instances: {min, max, target_utilisation, cool_down_seconds}</c>: the version's executor
/// instances follow their measured utilisation between <see cref="Min"/> and <see cref="Max"/>
/// (bounded by the cores the process may use), changing at most once per <see cref="CoolDown"/>.
/// </summary>
internal sealed record InstanceScaling
{
    /// <summary>The default cool-down between two changes: 30 s.</summary>
    public static readonly TimeSpan DefaultCoolDown = TimeSpan.FromSeconds(30);

    /// <summary>The fewest instances, and the count a version starts with; default 1.</summary>
    public int Min { get; init; } = 1;

    /// <summary>The most instances; required.</summary>
    public int Max { get; init; } = 1;

    /// <summary>The utilisation (busy time / instance time, 0 to 1] the controller steers towards; default 0.7.</summary>
    public double TargetUtilisation { get; init; } = 0.7;

    /// <summary>The least time between two changes of the instance count; default 30 s.</summary>
    public TimeSpan CoolDown { get; init; } = DefaultCoolDown;
}
