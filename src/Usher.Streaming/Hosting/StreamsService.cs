using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Core.Routing;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;

namespace Usher.Streaming.Hosting;

/// <summary>
/// The <c>streams:</c> of usher.yaml inside <c>usher serve</c>: each consumer starts once the
/// repository has loaded, scores through the server's own router (so the endpoint's rollouts apply),
/// and drains on shutdown before the models are retired.
/// </summary>
internal sealed class StreamsService(IReadOnlyList<StreamSpec> specs, IServiceProvider services, ILogger<StreamsService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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
        await Task.WhenAll(specs.Select(spec => StreamRunner.RunAsync(spec, scorer, metrics, time, logger, stoppingToken))).ConfigureAwait(false);
    }
}
