using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Backends.Onnx.Hosting;
using Usher.Core.Hosting;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Telemetry;

namespace Usher.Streaming.Hosting;

/// <summary>
/// <c>usher stream --model-repository DIR</c>: the repository's models in this process, composed as
/// the server and <c>Usher.Engine</c> compose them (<c>AddUsherCore().AddOnnxBackend()</c>: validation,
/// batcher, instances, shadow mirror behind the router). Without the control plane an endpoint
/// serves its newest version; rollouts apply to streams run by <c>usher serve</c> (<c>streams:</c>)
/// or with <c>--server</c>.
/// </summary>
internal sealed class InProcessModels : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private InProcessModels(ServiceProvider services)
    {
        _services = services;
        Models = services.GetRequiredService<ModelManager>();
        Router = services.GetRequiredService<InferenceRouter>();
        Routes = services.GetRequiredService<EndpointRoutes>();
        Metrics = services.GetRequiredService<UsherMetrics>();
    }

    public InferenceRouter Router { get; }

    /// <summary>The endpoints' route tables (none: each endpoint serves its newest version).</summary>
    public EndpointRoutes Routes { get; }

    public ModelManager Models { get; }

    /// <summary>The models' metrics (<c>--metrics-port</c> exports them with the streams').</summary>
    public UsherMetrics Metrics { get; }

    /// <summary>Loads every model of <paramref name="repository"/>; the problems when that fails.</summary>
    public static async Task<InProcessModels> OpenAsync(string repository, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var problems = new RepositoryOptions { Path = repository }.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new StreamsConfigException(problems);
        }

        var services = new ServiceCollection()
            .AddSingleton(time)
            .AddSingleton(loggers)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddOptions<RepositoryOptions>().Configure(o => o.Path = repository);
        var models = new InProcessModels(services.AddUsherCore().AddOnnxBackend().BuildServiceProvider());
        try
        {
            await models.Models.LoadAllAsync(cancellationToken).ConfigureAwait(false);
            return models;
        }
        catch
        {
            await models.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The container built the models and the metrics; it releases the models first.</summary>
    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
