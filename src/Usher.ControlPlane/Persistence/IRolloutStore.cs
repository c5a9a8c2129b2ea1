using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The control plane's state: route tables, rollouts with every transition, the audit trail, the
/// versions a rollback rejected, the injected faults (<see cref="IFaultStore"/>), and (through
/// <see cref="Experiments"/>) experiments' assignments and outcomes. <see cref="SqliteRolloutStore"/> keeps it in one file for one server;
/// <see cref="Postgres.PostgresRolloutStore"/> in a PostgreSQL database that replicas share. Both
/// obey the same contract: every write commits before the call returns; ids come from the database
/// (unique and increasing, also across stores on one database); timestamps read back as written
/// (PostgreSQL keeps microseconds, the finest part of a tick below that is dropped).
/// </summary>
internal interface IRolloutStore : IFaultStore, IAsyncDisposable
{
    /// <summary>Where the state is, for messages: the file's path, or <c>postgresql://USER@HOST:PORT/DB</c> (never a password).</summary>
    string Location { get; }

    /// <summary>The experiments' assignments and outcomes, in the same store.</summary>
    IExperimentStore Experiments { get; }

    /// <summary>Saves (inserts or replaces) an endpoint's route table.</summary>
    Task SaveRouteTableAsync(RouteTable table, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Every stored route table, by endpoint name.</summary>
    Task<IReadOnlyList<RouteTable>> RouteTablesAsync(CancellationToken cancellationToken);

    /// <summary>Removes an endpoint's stored route table (nothing when there is none).</summary>
    Task DeleteRouteTableAsync(string endpoint, CancellationToken cancellationToken);

    /// <summary>Stores a new rollout and returns it with the id the database gave it.</summary>
    Task<Rollout> InsertRolloutAsync(Rollout rollout, CancellationToken cancellationToken);

    /// <summary>Saves a rollout's new state.</summary>
    /// <exception cref="InvalidOperationException">No rollout has its id.</exception>
    Task UpdateRolloutAsync(Rollout rollout, CancellationToken cancellationToken);

    /// <summary>The rollouts that are not final, oldest first.</summary>
    Task<IReadOnlyList<Rollout>> ActiveRolloutsAsync(CancellationToken cancellationToken);

    /// <summary>The endpoint's most recent rollout, or null.</summary>
    Task<Rollout?> LatestRolloutAsync(string endpoint, CancellationToken cancellationToken);

    /// <summary>Appends an event to the audit trail and returns it with the id the database gave it.</summary>
    Task<RolloutEvent> AppendEventAsync(RolloutEvent entry, CancellationToken cancellationToken);

    /// <summary>The endpoint's audit trail, oldest first (the last <paramref name="limit"/> entries).</summary>
    Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken);

    /// <summary>Marks a version rejected (by a rollback) so that it is not loaded again, or clears the mark (<paramref name="reason"/> null).</summary>
    Task SetRejectedAsync(string model, long version, string? reason, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Every rejected version, by model and version.</summary>
    Task<IReadOnlyList<(string Model, long Version)>> RejectedAsync(CancellationToken cancellationToken);
}
