using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.Server.Cluster;

/// <summary>
/// A replica of <c>usher serve --state postgresql://...</c>: its <see cref="ClusterMember"/>
/// (registry, election, route listener) wired to the rollout controller. Only the leader runs the
/// controller: on taking the leadership it re-reads the active rollouts and route tables from the
/// store and resumes each rollout at its step; each tick runs after <see cref="LeaderElection.ConfirmAsync"/>
/// and under the leadership's token, so a replica that loses it stops at once; and the controller
/// writes through the store's fenced view (<see cref="SharedStateDatabase.ControllerStore"/>), so a
/// step that passed its check just before a takeover has its write refused: that ends the
/// leadership (<see cref="LeaderElection.ResignAsync"/>, logged once), it fails no rollout. Every other replica
/// follows the store: a route change (notified, or found by the periodic re-read) reloads the active
/// rollouts and that endpoint's table, loads the versions they need, then publishes the table.
/// Every replica, the leader too, reloads the injected faults when they change (notified, or found by
/// the periodic re-read): the admin calls that set them run on the leader, which writes the store.
/// At each tick the leader also removes the faults scoped to replicas that are gone
/// (<see cref="ClusterOptions.FaultGrace"/>), through the fenced store, each with an audit line.
/// Every replica that does not lead flushes its summary of each judged rollout's window every
/// <see cref="FlushInterval"/>; the leader flushes its own at each look and judges them all merged
/// (<see cref="SharedWindowAnalysis"/>).
/// </summary>
internal sealed partial class ReplicaCluster : IAsyncDisposable
{
    /// <summary>How often a replica that does not lead flushes its window summaries (the leader flushes its own at each look).</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    // How often LeadsAsync looks again while the role settles (a takeover takes about one poll).
    private static readonly TimeSpan SettlePoll = TimeSpan.FromMilliseconds(50);

    private readonly NpgsqlDataSource _source;
    private readonly SharedWindowAnalysis _shared;
    // A follower's reloads and flushes take turns: both move its windows.
    private readonly SemaphoreSlim _following = new(1, 1);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private ITimer? _flushTimer;
    private readonly RolloutController _controller;
    private readonly FaultKeeper _faults;
    private readonly PostgresRolloutStore _store;
    private readonly TimeSpan _faultGrace;
    private readonly ControllerFence _fence;
    private readonly TimeSpan _tick;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // Leadership changes are handled one at a time, in the order they were raised.
    private readonly SemaphoreSlim _changing = new(1, 1);
    private readonly SemaphoreSlim _ticking = new(1, 1);
    private volatile bool _leading;
    private ITimer? _timer;
    private int _disposed;

    public ReplicaCluster(SharedStateDatabase database, ReplicaIdentity identity, ClusterOptions options, ModelManager models, RolloutController controller, FaultKeeper faults, WindowAnalyzer analyzer, TimeSpan tick, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(loggers);
        _source = database.CreateMembershipSource(options);
        _controller = controller;
        _faults = faults;
        _store = database.ControllerStore;
        _faultGrace = options.FaultGrace;
        _fence = database.Fence;
        // Its own faults apply from the first reload after it registers (the listener's first read).
        faults.Replica = identity.Id;
        _tick = tick;
        _time = time;
        _logger = loggers.CreateLogger<ReplicaCluster>();
        try
        {
            Member = new ClusterMember(
                _source, options, identity,
                load: () => ReplicaLoad.Measure(models),
                endpointChanged: (endpoint, ct) => FollowAsync(endpoint, ct),
                reloadAll: ReloadAllAsync,
                faultsChanged: ct => _faults.ReloadAsync(ct),
                time, loggers, database.Fence);
        }
        catch
        {
            _source.Dispose();
            throw;
        }

        Member.Election.LeadershipChanged += leads => _ = ChangeLeadershipAsync(leads);
        _shared = new SharedWindowAnalysis(controller.Recorder, new WindowSummaryTable(_source, time), identity.Id, time);
        analyzer.Shared = _shared;
    }

    /// <summary>This replica's membership.</summary>
    public ClusterMember Member { get; }

    /// <summary>The membership's data source (for the leader's address: <see cref="LeaderElection.CurrentLeaderAsync"/>).</summary>
    public NpgsqlDataSource Source => _source;

    /// <summary>Whether this replica runs the rollout controller now (it leads, and has resumed the rollouts).</summary>
    public bool Leads => _leading && Member.Election.IsLeader;

    /// <summary>
    /// Pins this replica's controller term now (0 while it does not lead) for the calling async flow,
    /// until disposed: every write of the rollout controller in that flow is checked against it
    /// (<see cref="ControllerFence.Begin"/>), so a piece of work begun under one leadership writes
    /// nothing once another has begun, even when this replica leads again. The ticks and the
    /// resumption on taking the leadership begin their work with it, and so does an admin call that
    /// changes the shared state once it is handled here (<see cref="LeaderForwarding.BeginHere"/>).
    /// </summary>
    public ControllerFence.TermScope BeginWork() => _fence.Begin();

    /// <summary>Registers (failing when the database cannot be reached), listens, stands, and starts the controller's clock.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Member.StartAsync(cancellationToken).ConfigureAwait(false);
        _timer = _time.CreateTimer(_ => _ = TickAsync(), null, _tick, _tick);
        _flushTimer = _time.CreateTimer(_ => _ = FlushAsync(), null, FlushInterval, FlushInterval);
    }

    /// <summary>
    /// Whether this replica runs the rollout controller, once its role is settled: waits, at most
    /// <paramref name="wait"/>, while it holds the leadership but is still resuming the rollouts, or
    /// while no replica leads yet (the election's first attempts at start, a takeover); false at
    /// once when another replica leads.
    /// </summary>
    public async Task<bool> LeadsAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + wait;
        while (!Leads)
        {
            if (!Member.Election.IsLeader && await LeaderElection.CurrentLeaderAsync(_source, cancellationToken).ConfigureAwait(false) is { } leader && leader != Member.Identity.Id)
            {
                return false;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(SettlePoll, _time, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The base URL of the leader's REST front end, or null when no replica leads (or its row is gone).</summary>
    public async Task<string?> LeaderAddressAsync(CancellationToken cancellationToken)
    {
        var leader = await LeaderElection.CurrentLeaderAsync(_source, cancellationToken).ConfigureAwait(false);
        if (leader is null)
        {
            return null;
        }

        var replicas = await Member.Registry.ListAsync(cancellationToken).ConfigureAwait(false);
        return replicas.FirstOrDefault(r => r.Id == leader && r.IsUp)?.HttpAddress;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        if (_flushTimer is not null)
        {
            await _flushTimer.DisposeAsync().ConfigureAwait(false);
        }

        _leading = false;
        // Hands the leadership over, stops listening, marks this replica down.
        try
        {
            await Member.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await Member.DisposeAsync().ConfigureAwait(false);
            await _source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ChangeLeadershipAsync(bool leads)
    {
        await _changing.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!leads || !Member.Election.IsLeader)
            {
                if (_leading)
                {
                    _leading = false;
                    Log.Follows(_logger, Member.Identity.Id);
                }

                return;
            }

            // As a restart does: the stored rollouts and tables, each rollout resumed at its step. The
            // term is pinned before the token is read: a token of a later leadership than the term
            // only has every write refused.
            using var work = BeginWork();
            var term = Member.Election.Leadership;
            await _controller.FollowStoreAsync(null, term).ConfigureAwait(false);
            await _controller.StartAsync(startTimer: false, term).ConfigureAwait(false);
            _leading = !term.IsCancellationRequested;
            Log.Resumed(_logger, Member.Identity.Id, _controller.Active.Count);
        }
        catch (LeadershipLostException e)
        {
            await ResignAsync(e).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            Log.ControllerFailed(_logger, Member.Identity.Id, e);
        }
        finally
        {
            _changing.Release();
        }
    }

    private async Task TickAsync()
    {
        if (!_leading || !_ticking.Wait(0))
        {
            return;
        }

        try
        {
            // The step writes under the term it began under (and the deployments it starts off the tick too).
            using var work = BeginWork();
            var term = Member.Election.Leadership;
            if (await Member.Election.ConfirmAsync(term).ConfigureAwait(false))
            {
                await _controller.TickAsync(term).ConfigureAwait(false);
                await RemoveFaultsOfGoneReplicasAsync(term).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The leadership ended during the step.
        }
        catch (LeadershipLostException e)
        {
            await ResignAsync(e).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            Log.ControllerFailed(_logger, Member.Identity.Id, e);
        }
        finally
        {
            _ticking.Release();
        }
    }

    // Replica ids are per process run, so the faults scoped to one that is gone would stay for ever,
    // applied by no one. The leader, the one writer, removes them once the registry has had the
    // replica down for the grace (or forgotten it), through the fenced store, and writes one audit
    // line each as an operator's clear does; the trigger has every replica reload its faults.
    private async Task RemoveFaultsOfGoneReplicasAsync(CancellationToken term)
    {
        try
        {
            var removed = await _store.RemoveFaultsOfGoneReplicasAsync(_faultGrace, term).ConfigureAwait(false);
            if (removed.Count == 0)
            {
                return;
            }

            await _faults.ReloadAsync(term).ConfigureAwait(false);
            var tables = await _store.RouteTablesAsync(term).ConfigureAwait(false);
            foreach (var (fault, downAt) in removed)
            {
                var why = downAt is { } at
                    ? string.Create(CultureInfo.InvariantCulture, $"marked down at {at:yyyy-MM-dd HH:mm:ss}Z, more than cluster.fault_grace ({_faultGrace}) ago")
                    : "no longer registered";
                Log.GoneReplicaFaultRemoved(_logger, Member.Identity.Id, fault.Variant, fault.Replica, why);
                await _controller.RecordAsync(EndpointOf(fault.Variant, tables), "fault_cleared", $"fault cleared on {fault.Variant} for replica {fault.Replica} only: the replica is gone ({why})", null, "controller", term).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or LeadershipLostException or ObjectDisposedException))
        {
            Log.GoneReplicaFaultsRemovalFailed(_logger, Member.Identity.Id, e);
        }
    }

    // The endpoint whose history records a fault's removal: the first (by name) whose table routes to
    // the variant's model, as the endpoint listing shows the fault; the model's own name otherwise.
    private static string EndpointOf(string variant, IReadOnlyList<RouteTable> tables)
    {
        var model = variant[..variant.LastIndexOf(':')];
        return tables.Where(t => t.Variants.Any(v => v.Model == model)).Select(t => t.Endpoint).Order(StringComparer.Ordinal).FirstOrDefault() ?? model;
    }

    private async Task ReloadAllAsync(CancellationToken cancellationToken)
    {
        await _faults.ReloadAsync(cancellationToken).ConfigureAwait(false);
        await FollowAsync(null, cancellationToken).ConfigureAwait(false);
    }

    // A write of the controller was fenced: another replica has led since. The election ends this
    // leadership (and logs it, once); the controller stops with it and the new leader carries on
    // from what is stored. Not a failure of the rollout.
    private async Task ResignAsync(LeadershipLostException fenced)
    {
        try
        {
            await Member.Election.ResignAsync(fenced.WriterTerm, fenced.Message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // The leader is the only writer of rollouts and route tables: it publishes its own writes as it
    // makes them, and a reload could race its next step.
    private async Task FollowAsync(string? endpoint, CancellationToken cancellationToken)
    {
        if (Member.Election.IsLeader)
        {
            return;
        }

        await _following.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _controller.FollowStoreAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _following.Release();
        }
    }

    // A follower re-reads the active rollouts (a step's start moves its window) and flushes what it
    // saw of each judged one.
    private async Task FlushAsync()
    {
        if (Member.Election.IsLeader || !_flushing.Wait(0))
        {
            return;
        }

        try
        {
            IReadOnlyList<ControlPlane.Rollouts.Rollout> active;
            await _following.WaitAsync().ConfigureAwait(false);
            try
            {
                active = await _controller.FollowWindowsAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _following.Release();
            }

            foreach (var rollout in active.Where(RolloutController.IsJudged))
            {
                await _shared.FlushAsync(rollout, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            Log.FlushFailed(_logger, Member.Identity.Id, e);
        }
        finally
        {
            _flushing.Release();
        }
    }
}
