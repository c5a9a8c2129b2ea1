using Microsoft.Extensions.Logging;
using Usher.Backends.Onnx;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;

namespace Usher.Streaming.Hosting;

/// <summary>
/// <c>usher stream --model-repository DIR</c>: the repository's models in this process, with the
/// server's pipeline (validation, batcher, instances) behind a router. Without the control plane an
/// endpoint serves its newest version; rollouts apply to streams run by <c>usher serve</c>
/// (<c>streams:</c>) or with <c>--server</c>.
/// </summary>
internal sealed class InProcessModels : IAsyncDisposable
{
    private readonly UsherMetrics _metrics;
    private readonly ModelManager _models;

    private InProcessModels(UsherMetrics metrics, ModelManager models, InferenceRouter router, EndpointRoutes routes)
    {
        Routes = routes;
        _metrics = metrics;
        _models = models;
        Router = router;
    }

    public InferenceRouter Router { get; }

    /// <summary>The endpoints' route tables (none: each endpoint serves its newest version).</summary>
    public EndpointRoutes Routes { get; }

    public ModelManager Models => _models;

    /// <summary>Loads every model of <paramref name="repository"/>; the problems when that fails.</summary>
    public static async Task<InProcessModels> OpenAsync(string repository, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var options = new RepositoryOptions { Path = repository };
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new StreamsConfigException(problems);
        }

        var metrics = new UsherMetrics();
        var scheduling = new SchedulingContext(new SchedulingOptions(), metrics, time);
        var models = new ModelManager(new OnnxBackend(), options, loggers.CreateLogger<ModelManager>(), scheduling);
        await models.LoadAllAsync(cancellationToken).ConfigureAwait(false);
        var routes = new EndpointRoutes();
        var router = new InferenceRouter(models, routes, new FaultInjector(time, metrics), time, metrics);
        return new InProcessModels(metrics, models, router, routes);
    }

    public async ValueTask DisposeAsync()
    {
        await _models.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }
}
