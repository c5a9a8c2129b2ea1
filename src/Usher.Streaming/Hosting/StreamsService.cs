using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Server.Admin;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Transports;

namespace Usher.Streaming.Hosting;

/// <summary>
/// The <c>streams:</c> of usher.yaml inside <c>usher serve</c>. Each consumer connects to its brokers
/// as the host starts: a broker that cannot be reached stops start-up with its address (the server
/// exits 2 rather than serve without the streams it was configured with). Reading starts once the
/// repository has loaded, scores through the server's own router (so the endpoint's rollouts apply),
/// and drains on shutdown before the models are retired.
/// </summary>
internal sealed class StreamsService(IReadOnlyList<StreamSpec> specs, IServiceProvider services, ILogger<StreamsService> logger) : BackgroundService
{
    private readonly List<StreamEnds> _ends = [];

    /// <summary>Why the streams stopped while the server ran (a source that failed for good); null while they run or after a clean stop.</summary>
    public Exception? Failure { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var time = services.GetRequiredService<TimeProvider>();
        try
        {
            for (var i = 0; i < specs.Count; i++)
            {
                try
                {
                    _ends.Add(await StreamEnds.OpenAsync(specs[i], time).ConfigureAwait(false));
                }
                catch (StreamTransportException exception)
                {
                    throw new StreamTransportException($"streams[{i}] ({specs[i].Model}): {exception.Message}", exception);
                }
            }
        }
        catch
        {
            await CloseAsync().ConfigureAwait(false);
            throw;
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Like the frontends' readiness: the models have loaded and the control plane has put the route tables in place.
            var time = services.GetRequiredService<TimeProvider>();
            await services.GetRequiredService<ModelManager>().InitialLoad.WaitAsync(stoppingToken).ConfigureAwait(false);
            var controlPlane = services.GetRequiredService<ControlPlaneHost>();
            while (controlPlane.Controller is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, stoppingToken).ConfigureAwait(false);
            }

            var scorer = new RouterScorer(services.GetRequiredService<InferenceRouter>());
            var metrics = services.GetRequiredService<StreamMetrics>();
            await Task.WhenAll(specs.Select((spec, i) => StreamRunner.RunAsync(spec, _ends[i], scorer, metrics, time, logger, stoppingToken))).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // The host logs it and stops; the server's exit code comes from here.
            Failure = exception;
            throw;
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task CloseAsync()
    {
        foreach (var ends in _ends)
        {
            await ends.DisposeAsync().ConfigureAwait(false);
        }

        _ends.Clear();
    }
}
