namespace Usher.Core.Models;

/// <summary>
/// How many concurrent executors a version runs: a number, <c>auto</c> (from the core count), or a
/// range the version scales within by utilisation (<see cref="Scaling"/>).
/// </summary>
/// <param name="Count">The number of instances, or null for auto and for a scaled range.</param>
/// <param name="Scaling">The range and target when the count follows utilisation; null otherwise.</param>
internal sealed record InstanceCount(int? Count, InstanceScaling? Scaling = null)
{
    /// <summary><c>instances: auto</c>.</summary>
    public static InstanceCount Auto { get; } = new((int?)null);

    /// <summary>The default: one instance.</summary>
    public static InstanceCount One { get; } = new(1);

    /// <summary>True for <c>auto</c>.</summary>
    public bool IsAuto => Count is null && Scaling is null;
}
