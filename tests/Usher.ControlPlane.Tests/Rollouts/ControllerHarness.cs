using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Backends;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>
/// A controller over a real repository (fraud, ONNX Runtime), a real SQLite store and fake time.
/// Traffic is either real (through the router) or synthetic observations with chosen errors,
/// latencies and scores, so that each trigger can be aimed at exactly.
/// </summary>
internal sealed class ControllerHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _owned;
    private readonly Random? _random;
    private readonly bool _summarise;
    private ServiceProvider _services;

    private ControllerHarness(TempDirectory dir, FakeTimeProvider time, ModelManager models, EndpointRoutes routes, InferenceRouter router, SqliteRolloutStore store, ServiceProvider services, Random? random, bool summarise)
    {
        _owned = dir;
        _random = random;
        _summarise = summarise;
        _services = services;
        Time = time;
        Models = models;
        Routes = routes;
        Router = router;
        Store = store;
        Controller = services.GetRequiredService<RolloutController>();
    }

    public FakeTimeProvider Time { get; }

    public ModelManager Models { get; }

    public EndpointRoutes Routes { get; }

    public InferenceRouter Router { get; }

    public SqliteRolloutStore Store { get; private set; }

    public RolloutController Controller { get; private set; }

    public string Repository => Path.Combine(_owned.Path, "repo");

    /// <summary>The controller's window analyzer (set its <see cref="WindowAnalyzer.Shared"/> to judge flushed summaries; needs <c>summarise: true</c>).</summary>
    public WindowAnalyzer Analyzer => _services.GetRequiredService<WindowAnalyzer>();

    public static async Task<ControllerHarness> StartAsync(string? configYaml = null, Random? random = null, Func<IModelBackend, IModelBackend>? backend = null, string? secondModel = null, bool summarise = false)
    {
        var dir = new TempDirectory();
        var repo = Path.Combine(dir.Path, "repo");
        WriteVersion(repo, 1);
        if (secondModel is not null)
        {
            WriteVersion(repo, 1, model: secondModel);
        }

        if (configYaml is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(repo, "fraud", "config.yaml"), configYaml);
        }

        var time = new FakeTimeProvider(Start);
        var onnx = new OnnxBackend();
        var models = new ModelManager(backend?.Invoke(onnx) ?? onnx, new RepositoryOptions { Path = repo, UnloadTimeoutSeconds = 5 });
        var routes = new EndpointRoutes();
        var router = new InferenceRouter(models, routes, new FaultInjector(time), time);
        var store = await SqliteRolloutStore.OpenAsync(Path.Combine(dir.Path, "state", "usher.db"), CancellationToken.None);
        var services = Build(models, routes, router, store, time, random, summarise);
        var controller = services.GetRequiredService<RolloutController>();
        await controller.RestoreAsync(CancellationToken.None);
        await models.LoadAllAsync(CancellationToken.None);
        await controller.StartAsync(startTimer: false, CancellationToken.None);
        return new ControllerHarness(dir, time, models, routes, router, store, services, random, summarise);
    }

    // The controller as the server builds it: through the container, with the test's clock and randomness
    // (and a recorder that keeps window summaries, as a replica's does, when asked).
    private static ServiceProvider Build(ModelManager models, EndpointRoutes routes, InferenceRouter router, SqliteRolloutStore store, TimeProvider time, Random? random, bool summarise)
    {
        var services = new ServiceCollection()
            .AddSingleton(models).AddSingleton(routes).AddSingleton(router).AddSingleton<IRolloutStore>(store).AddSingleton(time);
        if (summarise)
        {
            services.AddSingleton(new TrafficRecorder(time, router.Observations, summarise: true));
        }

        if (random is not null)
        {
            services.AddSingleton(random);
        }

        return services.AddRolloutController().BuildServiceProvider();
    }

    public static void WriteVersion(string repository, int version, bool drifted = false, string model = "fraud")
    {
        var path = Path.Combine(repository, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, drifted ? SampleModels.BuildFraudDrifted(version) : SampleModels.BuildFraud(version));
    }

    public void WriteVersion(int version, bool drifted = false, string model = "fraud") => WriteVersion(Repository, version, drifted, model);

    /// <summary>Simulates a restart: a new controller over the same store and models.</summary>
    public async Task RestartControllerAsync()
    {
        await _services.DisposeAsync();
        var path = Store.Path;
        await Store.DisposeAsync();
        Store = await SqliteRolloutStore.OpenAsync(path, CancellationToken.None);
        _services = Build(Models, Routes, Router, Store, Time, _random, _summarise);
        Controller = _services.GetRequiredService<RolloutController>();
        await Controller.RestoreAsync(CancellationToken.None);
        await Controller.StartAsync(startTimer: false, CancellationToken.None);
    }

    public static DeploymentSpec Spec(string json) => DeploymentSpecParser.Parse(json) is { Spec: { } spec } ? spec
        : throw new InvalidOperationException(string.Join("; ", DeploymentSpecParser.Parse(json).Problems));

    public async Task<Rollout> DeployAsync(string json)
    {
        var result = await Controller.DeployAsync(Spec(json), "operator", CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    public Rollout Current => Controller.Active.GetValueOrDefault("fraud") ?? Controller.StatusAsync("fraud", CancellationToken.None).GetAwaiter().GetResult()!;

    public async Task AdvanceAndTickAsync(TimeSpan by)
    {
        Time.Advance(by);
        await Controller.TickAsync(CancellationToken.None);

        // A rollout a config.yaml section starts is deployed off the tick.
        await Controller.RepositoryDeploymentsAsync();
    }

    /// <summary>Records <paramref name="count"/> synthetic requests of one variant.</summary>
    public void Observe(long version, int count, int errors = 0, double latencyMs = 2, Func<int, double>? score = null, int seed = 1, string model = "fraud")
    {
        var random = new Random(seed);
        var variant = new RouteVariant(model, version, 50);
        var request = new InferenceRequest { ModelName = model, Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], new float[30])] };
        for (var i = 0; i < count; i++)
        {
            var failed = i < errors;
            var p = score?.Invoke(i) ?? random.NextDouble();
            var response = failed ? null : new InferenceResponse
            {
                ModelName = model,
                ModelVersion = version,
                Outputs = [Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [(float)(1 - p), (float)p])],
            };
            Controller.Recorder.Observe(new RouteObservation(
                model, variant, Time.GetUtcNow(), failed ? InferenceError.Unavailable("boom") : null, latencyMs * (0.9 + (0.2 * random.NextDouble())), request.Id, null, response, request, ObservationNeeds.Request));
        }
    }

    /// <summary>Sends real requests through the router (they are recorded like any routed request).</summary>
    public async Task<IReadOnlyList<RoutedInference>> SendAsync(int count, int seed = 7)
    {
        var random = new Random(seed);
        var results = new List<RoutedInference>();
        for (var i = 0; i < count; i++)
        {
            var row = Enumerable.Range(0, 30).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            var request = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], row)] };
            results.Add(await Router.InferAsync(request, new RouteHints("key-" + i), CancellationToken.None));
        }

        return results;
    }

    public IReadOnlyList<long> LoadedVersions => [.. Models.Find("fraud")!.Versions.Where(v => v.Loaded is not null).Select(v => v.Version)];

    public IReadOnlyList<(long Version, double Weight)> Table => [.. Routes.Find("fraud")!.Variants.Select(v => (v.Version, v.Weight))];

    public async Task<IReadOnlyList<string>> HistoryKindsAsync()
        => [.. (await Controller.HistoryAsync("fraud", 1000, CancellationToken.None)).Select(e => e.Kind)];

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Store.DisposeAsync();
        await Models.DisposeAsync();
        _owned.Dispose();
    }
}
