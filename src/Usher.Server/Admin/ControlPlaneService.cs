using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Server.Hosting;

namespace Usher.Server.Admin;

/// <summary>
/// Starts the control plane: opens the state file (locked for the server's life, checked to belong
/// to the repository), sets aside stored state that names models or versions the repository does
/// not have, and restores route tables, version pins and rollouts before the repository loads (so
/// the load keeps what the tables need); then gives new models their tables, resumes interrupted
/// rollouts and starts the controller's clock. <c>usher serve</c> opens the state file before the
/// host starts (<paramref name="opened"/>), so that a bad one stops start-up with its message alone.
/// The controller and its collaborators are the host's services (<c>AddUsherControlPlane</c>); they
/// get the store through <paramref name="holder"/>, which this service fills once the file is open
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
    StateFile? opened = null) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger = logger;
    private StateFile? _state = opened;
    private RolloutController? _controller;
    private Task? _started;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _state ??= await OpenStateAsync(options, models.RepositoryPath, cancellationToken).ConfigureAwait(false);
        host.StatePath = _state.Path;
        Log.StateOpened(_logger, _state.Path, models.RepositoryPath);
        var store = _state.Store;

        // A repository without a single model is more likely a mount that is not there yet than
        // every model deleted: its stored state is kept as it is rather than set aside.
        if (models.Index().Count == 0)
        {
            Log.EmptyRepository(_logger, models.RepositoryPath);
        }
        else
        {
            host.Stale = await StaleStateAudit.RunAsync(store, models.RepositoryPath, models.VersionsOnDisk, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            foreach (var stale in host.Stale)
            {
                Log.Stale(_logger, stale.Endpoint, stale.Message);
            }
        }

        holder.Open(store);
        _controller = services.GetRequiredService<RolloutController>();
        await _controller.RestoreAsync(cancellationToken).ConfigureAwait(false);
        _started = StartAfterLoadAsync(_controller, _stopping.Token);
    }

    /// <summary>Opens the state file for the repository at <paramref name="repository"/>, where <see cref="StateLocation"/> puts it.</summary>
    /// <exception cref="StateStoreException">With a message that names the file and what to do.</exception>
    public static Task<StateFile> OpenStateAsync(AdminOptions options, string repository, CancellationToken cancellationToken)
    {
        var (path, followsRepository) = StateLocation.Resolve(options, repository);
        return StateFile.OpenAsync(path, repository, followsRepository, cancellationToken);
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
        if (_controller is not null)
        {
            // The controller stops (its clock, the work in progress, the shadows, the experiments'
            // unwritten assignments) before the state file closes; the host's container disposes
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

    private async Task StartAfterLoadAsync(RolloutController controller, CancellationToken cancellationToken)
    {
        await models.InitialLoad.WaitAsync(cancellationToken).ConfigureAwait(false);
        await controller.StartAsync(startTimer: true, cancellationToken).ConfigureAwait(false);
        host.SetStarted(controller);
    }
}
