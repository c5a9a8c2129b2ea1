using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// Experiments' assignments and outcomes, in the state store (<see cref="IRolloutStore.Experiments"/>).
/// Assignments arrive in batches (one transaction per flush, not one per request); outcomes are
/// idempotent per unit and metric: the first report wins and a repeat is answered as a duplicate.
/// </summary>
internal interface IExperimentStore
{
    /// <summary>Stores a batch of assignments in one transaction; a unit already assigned keeps its first arm.</summary>
    Task AddAssignmentsAsync(IReadOnlyList<Assignment> batch, CancellationToken cancellationToken);

    /// <summary>The arm a unit was assigned to, or null.</summary>
    Task<long?> FindAssignmentAsync(long rolloutId, string unit, CancellationToken cancellationToken);

    /// <summary>Stores outcomes in one transaction; each answer says whether it was new (false: a duplicate, ignored).</summary>
    Task<IReadOnlyList<bool>> AddOutcomesAsync(long rolloutId, IReadOnlyList<(string Unit, string Metric, long Version, double Value)> outcomes, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Each arm's totals for <paramref name="metric"/>: counted assignments and reported outcomes, by version.</summary>
    Task<IReadOnlyList<ArmTotals>> TotalsAsync(long rolloutId, string metric, CancellationToken cancellationToken);
}
