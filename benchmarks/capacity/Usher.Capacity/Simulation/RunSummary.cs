namespace Usher.Capacity.Simulation;

/// <summary>What a run cost and how it served.</summary>
/// <param name="Name">The run's label.</param>
/// <param name="ReplicaHours">Pod-seconds / 3600, starting pods included.</param>
/// <param name="MinPods">Fewest pods.</param>
/// <param name="MaxPods">Most pods.</param>
/// <param name="SloViolationMinutes">Minutes whose p99 exceeded the SLO.</param>
/// <param name="RequestsOverSlo">The share of all requests slower than the SLO.</param>
/// <param name="WorstMinuteP99Ms">The highest minute p99.</param>
/// <param name="DayP99Ms">The p99 over every request of the run.</param>
internal sealed record RunSummary(
    string Name,
    double ReplicaHours,
    int MinPods,
    int MaxPods,
    int SloViolationMinutes,
    double RequestsOverSlo,
    double WorstMinuteP99Ms,
    double DayP99Ms);
