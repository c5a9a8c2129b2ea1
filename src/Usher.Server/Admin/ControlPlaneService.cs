using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.Server.Admin;

/// <summary>
/// Starts the control plane: opens the state store and restores route tables, version pins and
/// rollouts before the repository loads (so the load keeps what the tables need), then gives new
/// models their tables, resumes interrupted rollouts and starts the controller's clock.
/// </summary>
internal sealed class ControlPlaneService(
    ControlPlaneHost host,
    AdminOptions options,
    ModelManager models,
    EndpointRoutes routes,
    InferenceRouter router,
    TimeProvider time,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private RolloutStore? _store;
    private RolloutController? _controller;
    private Task? _started;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _store = await RolloutStore.OpenAsync(options.StatePath, cancellationToken).ConfigureAwait(false);
        _controller = new RolloutController(
            models, routes, router, _store, time,
            new RolloutOptions { Tick = TimeSpan.FromMilliseconds(options.TickMs) },
            loggers.CreateLogger<RolloutController>());
        await _controller.RestoreAsync(cancellationToken).ConfigureAwait(false);
        _started = StartAfterLoadAsync(_controller, _stopping.Token);
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
            await _controller.DisposeAsync().ConfigureAwait(false);
            _controller = null;
        }

        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
            _store = null;
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
