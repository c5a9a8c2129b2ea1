namespace Usher.Core.Models;

/// <summary>How many concurrent executors a version runs: a number, or <c>auto</c> (from the core count).</summary>
/// <param name="Count">The number of instances, or null for auto.</param>
internal sealed record InstanceCount(int? Count)
{
    /// <summary><c>instances: auto</c>.</summary>
    public static InstanceCount Auto { get; } = new((int?)null);

    /// <summary>The default: one instance.</summary>
    public static InstanceCount One { get; } = new(1);

    /// <summary>True for <c>auto</c>.</summary>
    public bool IsAuto => Count is null;
}
