namespace Usher.ControlPlane.Deployments;

/// <summary>A canary's schedule.</summary>
/// <param name="Steps">
/// The candidate's weight at each step, in percent, ascending, ending at 100. Default 5, 25, 50, 100.
/// Each step below 100 lasts <paramref name="Interval"/> and is judged; passing the last of them
/// is the promotion to 100.
/// </param>
/// <param name="Interval">How long each step lasts before its analysis decides. Default 60 s.</param>
internal sealed record CanarySpec(IReadOnlyList<int> Steps, TimeSpan Interval)
{
    /// <summary>The defaults.</summary>
    public static CanarySpec Default { get; } = new([5, 25, 50, 100], TimeSpan.FromSeconds(60));
}
