using Microsoft.Extensions.DependencyInjection;
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
    private ServiceProvider? _services;
    private RolloutController? _controller;
    private Task? _started;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _store = await RolloutStore.OpenAsync(options.StatePath, cancellationToken).ConfigureAwait(false);
        _services = new ServiceCollection()
            .AddSingleton(models).AddSingleton(routes).AddSingleton(router).AddSingleton(_store).AddSingleton(time)
            .AddSingleton(loggers).AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddRolloutController(new RolloutOptions { Tick = TimeSpan.FromMilliseconds(options.TickMs) })
            .BuildServiceProvider();
        _controller = _services.GetRequiredService<RolloutController>();
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
        if (_services is not null)
        {
            // Disposes the controller (it was built last, so it goes first) and its collaborators.
            await _services.DisposeAsync().ConfigureAwait(false);
            _services = null;
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
