using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Server.Cluster;
using Usher.Server.Hosting;

namespace Usher.Server.Admin;

/// <summary>
/// Starts the control plane: opens the state store (the SQLite file, locked for the server's life and
/// checked to belong to the repository, or the shared PostgreSQL database of <c>admin.state</c>), sets aside stored state that names models or versions the repository does
/// not have, restores the injected faults (<see cref="FaultKeeper"/>), and restores route tables, version pins and rollouts before the repository loads (so
/// the load keeps what the tables need); then gives new models their tables, resumes interrupted
/// rollouts and starts the controller's clock. <c>usher serve</c> opens the state store before the
/// host starts (<paramref name="opened"/>), so that a bad one stops start-up with its message alone.
/// The controller and its collaborators are the host's services (<c>AddUsherControlPlane</c>); they
/// get the store through <paramref name="holder"/>, which this service fills once the store is open
/// and audited, and only then is the controller built.
/// </summary>
internal sealed partial class ControlPlaneService(
    ControlPlaneHost host,
    AdminOptions options,
    ModelManager models,
    StateStoreHolder holder,
    IServiceProvider services,
    TimeProvider time,
    ILogger<ControlPlaneService> logger,
    IStateHandle? opened = null) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger = logger;
    private IStateHandle? _state = opened;
    private RolloutController? _controller;
    private ReplicaCluster? _cluster;
    private Task? _started;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _state ??= await OpenStateAsync(options, models.RepositoryPath, cancellationToken).ConfigureAwait(false);
        var store = _state.Store;
        host.StatePath = store.Location;
        Log.StateOpened(_logger, store.Location, models.RepositoryPath);

        // A repository without a single model is more likely a mount that is not there yet than
        // every model deleted: its stored state is kept as it is rather than set aside.
        if (models.Index().Count == 0)
        {
            Log.EmptyRepository(_logger, models.RepositoryPath);
        }
        else
        {
            host.Stale = await StaleStateAudit.RunAsync(store, models.RepositoryPath, models.VersionsOnDisk, time.GetUtcNow(), cancellationToken, shared: _state is SharedStateDatabase).ConfigureAwait(false);
            foreach (var stale in host.Stale)
            {
                Log.Stale(_logger, stale.Endpoint, stale.Message);
            }
        }

        // On the shared database the controller writes through the fenced view: only its leader's writes commit.
        holder.Open(_state is SharedStateDatabase database ? database.ControllerStore : store);
        var faults = await services.GetRequiredService<FaultKeeper>().ReloadAsync(cancellationToken).ConfigureAwait(false);
        if (faults.Count > 0)
        {
            Log.FaultsRestored(_logger, faults.Count, store.Location, string.Join(", ", faults.Select(f => $"{f.Variant} (set by {f.SetBy} at {f.SetAt:u})")));
        }

        _controller = services.GetRequiredService<RolloutController>();
        await _controller.RestoreAsync(cancellationToken).ConfigureAwait(false);
        if (_state is SharedStateDatabase shared)
        {
            _controller.SharedState = true;
            var server = services.GetRequiredService<IOptions<ServerOptions>>().Value;
            var replica = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            if (ReplicaAddress.Problem(server, replica) is { } problem)
            {
                throw new OptionsValidationException(nameof(ClusterOptions), typeof(ClusterOptions), [problem]);
            }

            _started = StartReplicaAsync(shared, server, replica, _controller, _stopping.Token);
            return;
        }

        _started = StartAfterLoadAsync(_controller, _stopping.Token);
    }

    /// <summary>
    /// Opens the state store for the repository at <paramref name="repository"/>: the PostgreSQL
    /// database of <c>admin.state</c> when set, otherwise the state file where <see cref="StateLocation"/> puts it.
    /// </summary>
    /// <exception cref="StateStoreException">With a message that names the file or database and what to do.</exception>
    public static async Task<IStateHandle> OpenStateAsync(AdminOptions options, string repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.State is { } state)
        {
            // The settings' validator has reported what is wrong with the value.
            var target = PostgresTarget.Parse(state, out var problems)
                ?? throw new StateStoreException($"admin.state: {string.Join("; ", problems)}");
            return await SharedStateDatabase.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        }

        var (path, followsRepository) = StateLocation.Resolve(options, repository);
        return await StateFile.OpenAsync(path, repository, followsRepository, cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_started is not null)
        {
            try
            {
                await _started.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        host.SetStopped();
        if (_cluster is not null)
        {
            // Before the controller: the leadership is handed over and this replica marked down.
            await _cluster.DisposeAsync().ConfigureAwait(false);
            _cluster = null;
        }

        if (_controller is not null)
        {
            // The controller stops (its clock, the work in progress, the shadows, the experiments'
            // unwritten assignments) before the state store closes; the host's container disposes
            // it again when the host goes, which does nothing.
            await _controller.DisposeAsync().ConfigureAwait(false);
            _controller = null;
        }

        if (_state is not null)
        {
            await _state.DisposeAsync().ConfigureAwait(false);
            _state = null;
        }

        _stopping.Dispose();
    }

    // A replica on the shared database: once the models are loaded and the server listens (its
    // address is then known), it registers and stands for the leadership; only the leader runs the
    // controller (ReplicaCluster). A replica that cannot register stops the server.
    private async Task StartReplicaAsync(SharedStateDatabase shared, ServerOptions server, ClusterOptions replica, RolloutController controller, CancellationToken cancellationToken)
    {
        await models.InitialLoad.WaitAsync(cancellationToken).ConfigureAwait(false);
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => listening.TrySetResult()))
        {
            await listening.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var (http, grpc) = ReplicaAddress.Of(server, replica, services.GetRequiredService<ListenEndpoints>());
        var identity = new ReplicaIdentity(ReplicaIdentity.NewId(), http, grpc, replica.Region ?? ReplicaIdentity.DefaultRegion, replica.LabelPairs());
        ReplicaCluster? cluster = null;
        try
        {
            cluster = new ReplicaCluster(shared, identity, replica, models, controller, services.GetRequiredService<FaultKeeper>(), services.GetRequiredService<WindowAnalyzer>(), TimeSpan.FromMilliseconds(options.TickMs), time, services.GetRequiredService<ILoggerFactory>());
            await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }

            Log.RegistrationFailed(_logger, shared.Target.Display, e);
            lifetime.StopApplication();
            return;
        }

        _cluster = cluster;
        host.Cluster = cluster;
        host.SetStarted(controller);
    }

    private async Task StartAfterLoadAsync(RolloutController controller, CancellationToken cancellationToken)
    {
        await models.InitialLoad.WaitAsync(cancellationToken).ConfigureAwait(false);
        await controller.StartAsync(startTimer: true, cancellationToken).ConfigureAwait(false);
        host.SetStarted(controller);
    }
}
