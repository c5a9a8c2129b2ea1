using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// Experiments' assignments and outcomes, in the state store (<see cref="IRolloutStore.Experiments"/>).
/// Assignments arrive in batches (one transaction per flush, not one per request); outcomes are
/// idempotent per unit and metric: the first report wins and a repeat is answered as a duplicate.
/// </summary>
internal interface IExperimentStore
{
    /// <summary>
    /// Whether other replicas write assignments to this store too. Then a unit this replica cannot
    /// find may still wait in the buffer of the replica that served it: its outcome is stored
    /// unjoined (<see cref="AddOutcomesAsync"/> with no version) and joins when that replica flushes.
    /// </summary>
    bool Shared { get; }

    /// <summary>Stores a batch of assignments in one transaction; a unit already assigned keeps its first arm.</summary>
    Task AddAssignmentsAsync(IReadOnlyList<Assignment> batch, CancellationToken cancellationToken);

    /// <summary>The arm a unit was assigned to, or null.</summary>
    Task<long?> FindAssignmentAsync(long rolloutId, string unit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores outcomes in one transaction; each answer says whether it was new (false: a duplicate, ignored).
    /// An outcome's version is the arm its unit was found in when it was reported; null (only in a
    /// <see cref="Shared"/> store) when no assignment for the unit was stored yet.
    /// </summary>
    Task<IReadOnlyList<bool>> AddOutcomesAsync(long rolloutId, IReadOnlyList<(string Unit, string Metric, long? Version, double Value)> outcomes, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Each arm's totals for <paramref name="metric"/>: counted assignments and reported outcomes, by version.
    /// An outcome counts in the arm of its unit's stored assignment, whichever replica stored either;
    /// one whose unit has no stored assignment yet counts nowhere until it has.
    /// </summary>
    Task<IReadOnlyList<ArmTotals>> TotalsAsync(long rolloutId, string metric, CancellationToken cancellationToken);
}
