using Usher.Backends.Onnx.Samples;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// The set-up the router's allocation tests share: version 1 of the sample <c>fraud</c> model, loaded
/// from a temporary repository by the given backend, behind a router whose endpoint <c>fraud</c> has
/// a single route to it, and a one-row request for it.
/// </summary>
internal sealed class RoutedFraud : IAsyncDisposable
{
    private readonly TempDirectory _repo;

    private RoutedFraud(TempDirectory repo, ModelManager models, InferenceRouter router, InferenceRequest request)
    {
        _repo = repo;
        Models = models;
        Router = router;
        Request = request;
    }

    public ModelManager Models { get; }

    public InferenceRouter Router { get; }

    /// <summary>One row of 30 features, <c>i / 30</c>.</summary>
    public InferenceRequest Request { get; }

    public static async Task<RoutedFraud> StartAsync(IModelBackend backend)
    {
        var repo = new TempDirectory();
        Directory.CreateDirectory(repo.Combine("fraud", "1"));
        await File.WriteAllBytesAsync(repo.Combine("fraud", "1", "model.onnx"), SampleModels.BuildFraud(1));
        var models = new ModelManager(backend, new RepositoryOptions { Path = repo.Path });
        await models.LoadAllAsync(CancellationToken.None);
        Assert.True(models.IsReady);
        // Fitted to the loaded signatures as the server's tables are: one signature, so no input fit,
        // and the allocation budgets hold for the rule's absence.
        var routes = new EndpointRoutes(null, models);
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        Assert.Null(routes.Find("fraud")!.Inputs);
        var router = new InferenceRouter(models, routes, new FaultInjector(TimeProvider.System), TimeProvider.System);
        var row = Enumerable.Range(0, 30).Select(i => i / 30f).ToArray();
        var request = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], row)] };
        return new RoutedFraud(repo, models, router, request);
    }

    public async ValueTask DisposeAsync()
    {
        await Router.Observations.DisposeAsync();
        await Models.DisposeAsync();
        _repo.Dispose();
    }
}
