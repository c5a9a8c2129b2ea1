using Microsoft.Extensions.Logging;
using Npgsql;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// One replica's membership in a cluster that shares a PostgreSQL database, for
/// <c>usher serve --state postgresql://...</c>: its row in the registry with a heartbeat, a
/// candidacy for the rollout controller's leadership, and the route-change listener. The server
/// supplies what only it knows as delegates: its load, and how to reload one endpoint's route table,
/// the faults, or all of it from the store.
/// </summary>
internal sealed class ClusterMember : IAsyncDisposable
{
    /// <param name="source">The shared state's database (schema prepared by <c>PostgresSchema.PrepareAsync</c>). Npgsql's <c>Keepalive</c> in its connection string lets the election's and the listener's idle sessions notice a dead network.</param>
    /// <param name="options">The membership's settings.</param>
    /// <param name="identity">Who this replica is.</param>
    /// <param name="load">Its current load (<see cref="ReplicaLoad.Measure"/> over the model manager).</param>
    /// <param name="endpointChanged">Reloads one endpoint's route table from the store.</param>
    /// <param name="reloadAll">Reloads every endpoint's route table and the faults from the store.</param>
    /// <param name="faultsChanged">Reloads the faults from the store.</param>
    /// <param name="time">The clock of the intervals.</param>
    /// <param name="loggers">The logs.</param>
    /// <param name="fence">The fence of the store the replica's rollout controller writes through (<see cref="Persistence.Postgres.SharedStateDatabase.Fence"/>): the election enters each leadership's term in it.</param>
    /// <exception cref="ArgumentException">The options or the identity are invalid (every problem named).</exception>
    public ClusterMember(
        NpgsqlDataSource source,
        ClusterOptions options,
        ReplicaIdentity identity,
        Func<ReplicaLoad> load,
        Func<string, CancellationToken, Task> endpointChanged,
        Func<CancellationToken, Task> reloadAll,
        Func<CancellationToken, Task> faultsChanged,
        TimeProvider time,
        ILoggerFactory loggers,
        Persistence.Postgres.ControllerFence? fence = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(loggers);
        var problems = options.Problems().Concat(identity.Problems()).ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"cluster settings are invalid: {string.Join("; ", problems)}");
        }

        Identity = identity;
        Registry = new ReplicaRegistry(source);
        Heartbeat = new ReplicaHeartbeat(Registry, identity, load, options, time, loggers.CreateLogger<ReplicaHeartbeat>());
        Election = new LeaderElection(source, identity.Id, options, time, loggers.CreateLogger<LeaderElection>(), fence);
        Routes = new RouteChangeListener(source, options, endpointChanged, reloadAll, faultsChanged, time, loggers.CreateLogger<RouteChangeListener>());
    }

    /// <summary>Who this replica is.</summary>
    public ReplicaIdentity Identity { get; }

    /// <summary>The registry (read it for the list of replicas).</summary>
    public ReplicaRegistry Registry { get; }

    /// <summary>This replica's heartbeat.</summary>
    public ReplicaHeartbeat Heartbeat { get; }

    /// <summary>The rollout controller's leader election: run a controller step only after <see cref="LeaderElection.ConfirmAsync"/>.</summary>
    public LeaderElection Election { get; }

    /// <summary>The listener for route-table and fault changes.</summary>
    public RouteChangeListener Routes { get; }

    /// <summary>Registers, listens for route changes, then stands for the leadership.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Heartbeat.StartAsync(cancellationToken).ConfigureAwait(false);
        await Routes.StartAsync(cancellationToken).ConfigureAwait(false);
        await Election.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands the leadership over first, stops listening, and marks the replica down last.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Election.StopAsync(cancellationToken).ConfigureAwait(false);
        await Routes.StopAsync(cancellationToken).ConfigureAwait(false);
        await Heartbeat.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Election.DisposeAsync().ConfigureAwait(false);
        await Routes.DisposeAsync().ConfigureAwait(false);
        await Heartbeat.DisposeAsync().ConfigureAwait(false);
    }
}
