using Usher.Backends.Onnx;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// Feature-availability routing through the real router and ONNX Runtime: model <c>fraud</c> has
/// versions 1 and 2 that take <c>features</c> (score = features) and version 3 that takes
/// <c>features</c> and <c>device_history</c> (score = features + device_history), so the version that
/// answered shows in the scores. Expected variants come from the bucket alone: the table lays its
/// variants out from bucket 0 in order (v2 owns [0, 0.5), v3 [0.5, 1) in a 50/50 table).
/// </summary>
public sealed class InputFitTests : IAsyncLifetime
{
    private static readonly float[] Features = [1, 2, 3, 4];
    private static readonly float[] History = [100, 200, 300, 400];

    private readonly TempDirectory _repo = new();
    private readonly UsherMetrics _metrics = new();
    private ModelManager _models = null!;
    private EndpointRoutes _routes = null!;
    private InferenceRouter _router = null!;

    public async Task InitializeAsync()
    {
        TestModels.WriteFeaturesModel(_repo.Combine("fraud", "1"), deviceHistory: false);
        TestModels.WriteFeaturesModel(_repo.Combine("fraud", "2"), deviceHistory: false);
        TestModels.WriteFeaturesModel(_repo.Combine("fraud", "3"), deviceHistory: true);
        await File.WriteAllTextAsync(_repo.Combine("fraud", "config.yaml"), "version_policy: all\n");
        _models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = _repo.Path });
        _routes = new EndpointRoutes(_metrics, _models);

        // Published before the versions load: fitted when they do.
        _routes.Publish(Table(50, 50));
        Assert.Null(_routes.Find("fraud")!.Inputs);
        await _models.LoadAllAsync(CancellationToken.None);
        Assert.True(_models.IsReady);
        _router = new InferenceRouter(_models, _routes, new FaultInjector(TimeProvider.System), TimeProvider.System, _metrics);
    }

    public async Task DisposeAsync()
    {
        await _router.Observations.DisposeAsync();
        await _models.DisposeAsync();
        _metrics.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public void Publish_OfATableWhoseVariantsDeclareTheSameInputs_HasNoFit_AndOneThatDiffers_HasOne()
    {
        Assert.NotNull(_routes.Find("fraud")!.Inputs);
        Assert.Equal(["features", "device_history"], _routes.Find("fraud")!.Inputs!.InputNames);

        _routes.Publish(new RouteTable("fraud", [new RouteVariant("fraud", 1, 50), new RouteVariant("fraud", 2, 50)]));

        Assert.Null(_routes.Find("fraud")!.Inputs);
    }

    [Fact]
    public async Task BothInputs_SplitByWeight_EachKeyOnTheVariantItsBucketOwns_AndNoFallback()
    {
        var keys = Enumerable.Range(0, 200).Select(i => "user-" + i).ToList();
        var onV3 = 0;
        foreach (var key in keys)
        {
            var expected = BucketHash.Hash("fraud", key) < 0.5 ? "fraud:2" : "fraud:3";
            var routed = await _router.InferAsync(Request(withHistory: true), new RouteHints(key), CancellationToken.None);

            Assert.True(routed.Result.IsSuccess, routed.Result.Error?.Message);
            Assert.Equal(expected, routed.Variant);

            // v2 was given features alone (device_history stripped); v3 both.
            Assert.Equal(expected == "fraud:2" ? Features : [.. Features.Zip(History, (f, h) => f + h)], Score(routed));
            onV3 += expected == "fraud:3" ? 1 : 0;
        }

        // Binomial(200, 0.5): σ ≈ 7; allow 5σ.
        Assert.InRange(onV3, 100 - 35, 100 + 35);
        Assert.All(_metrics.Fallbacks, f => Assert.Equal(0, f.Count));
    }

    [Fact]
    public async Task FeaturesOnly_AllGoToV2_EachHashedToV3CountedAsAFallback_AndTheSameKeyAlwaysLandsThere()
    {
        var keys = Enumerable.Range(0, 200).Select(i => "user-" + i).ToList();
        var hashedToV3 = keys.Count(k => BucketHash.Hash("fraud", k) >= 0.5);
        Assert.InRange(hashedToV3, 1, keys.Count - 1);

        foreach (var key in keys.Concat(keys))
        {
            var routed = await _router.InferAsync(Request(withHistory: false), new RouteHints(key), CancellationToken.None);

            Assert.True(routed.Result.IsSuccess, routed.Result.Error?.Message);
            Assert.Equal("fraud:2", routed.Variant);
            Assert.Equal(Features, Score(routed));
        }

        var fallback = Assert.Single(_metrics.Fallbacks, f => f.Count != 0);
        Assert.Equal(("fraud", "fraud:3", "fraud:2", "missing_inputs", 2L * hashedToV3), (fallback.Endpoint, fallback.From, fallback.To, fallback.Reason, fallback.Count));
        Assert.Equal(2L * keys.Count, _metrics.RoutedTo("fraud", "fraud:2").Count);
        Assert.Equal(0, _metrics.RoutedTo("fraud", "fraud:3").Count);
    }

    [Fact]
    public void Fallback_AmongSeveralThatFit_KeepsTheirWeights_AndIsAPureFunctionOfKeyAndTable()
    {
        // v3 (needs device_history) 50%, v1 30%, v2 20%: requests without device_history that hashed to
        // v3 are split 3:2, so v1 serves 0.3 + 0.5 * 0.6 = 60% of them and v2 40%.
        var table = new RouteTable("fraud", [new RouteVariant("fraud", 3, 50), new RouteVariant("fraud", 1, 30), new RouteVariant("fraud", 2, 20)]);
        using var metrics = new UsherMetrics();
        var replicaA = new EndpointRoutes(metrics, _models);
        var replicaB = new EndpointRoutes(null, _models);
        replicaA.Publish(table);
        replicaB.Publish(table);
        var fitA = replicaA.Find("fraud")!.Inputs!;
        var fitB = replicaB.Find("fraud")!.Inputs!;
        var request = Request(withHistory: false);

        var onV1 = 0;
        const int Keys = 20_000;
        for (var i = 0; i < Keys; i++)
        {
            var bucket = BucketHash.Hash("fraud", "k" + i);
            var hashed = table.PickIndex(bucket);

            // The rule, stated on its own: within v3's range [0, 0.5) the first 60% goes to v1.
            var expected = bucket >= 0.5 ? hashed : bucket / 0.5 < 0.6 ? 1 : 2;
            var a = fitA.Route(hashed, bucket, request);
            var b = fitB.Route(hashed, bucket, request);

            Assert.Equal(expected, a.Value.Index);
            Assert.Equal(expected, b.Value.Index);
            onV1 += expected == 1 ? 1 : 0;
        }

        // Binomial(20000, 0.6): σ ≈ 69; allow 5σ.
        Assert.InRange(onV1, 12_000 - 346, 12_000 + 346);
        var buckets = Enumerable.Range(0, Keys).Select(i => BucketHash.Hash("fraud", "k" + i)).ToList();
        Assert.Equal(buckets.Count(b => b < 0.3), metrics.FallbackOf("fraud", "fraud:3", "fraud:1", InputFit.MissingInputs).Count);
        Assert.Equal(buckets.Count(b => b is >= 0.3 and < 0.5), metrics.FallbackOf("fraud", "fraud:3", "fraud:2", InputFit.MissingInputs).Count);
    }

    [Fact]
    public void Route_OfARequestThatKeepsItsInputs_AllocatesNothing_FallbackAndCountIncluded()
    {
        var fit = _routes.Find("fraud")!.Inputs!;
        var both = Request(withHistory: true);
        var alone = Request(withHistory: false);
        Assert.Equal(1, fit.Route(1, 0.75, both).Value.Index);
        Assert.Equal(0, fit.Route(1, 0.75, alone).Value.Index);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            _ = fit.Route(1, 0.75, both);
            _ = fit.Route(0, 0.25, alone);
            _ = fit.Route(1, 0.75, alone);
        }

        // Only a request that carries an input its variant does not declare is copied (to drop it).
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_001, _metrics.FallbackOf("fraud", "fraud:3", "fraud:2", InputFit.MissingInputs).Count);
    }

    [Fact]
    public async Task NoVariantFits_Is400_NamingWhatEachVariantLacks()
    {
        var request = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("device_history", DataType.Fp32, [1, 4], History)] };

        var routed = await _router.InferAsync(request, new RouteHints("user-1"), CancellationToken.None);

        Assert.False(routed.Result.IsSuccess);
        Assert.Equal(InferenceErrorKind.InvalidArgument, routed.Result.Error.Kind);
        Assert.Equal("no variant of endpoint 'fraud' can serve this request: fraud:2 needs 'features'; fraud:3 needs 'features'", routed.Result.Error.Message);
        Assert.Null(routed.Variant);
    }

    [Fact]
    public async Task AnInputNoVariantDeclares_Is400_NamingTheEndpointsInputs()
    {
        var request = new InferenceRequest
        {
            ModelName = "fraud",
            Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 4], Features), Tensor.FromSpan<float>("colour", DataType.Fp32, [1, 4], Features)],
        };

        var routed = await _router.InferAsync(request, new RouteHints("user-1"), CancellationToken.None);

        Assert.False(routed.Result.IsSuccess);
        Assert.Equal(InferenceErrorKind.InvalidArgument, routed.Result.Error.Kind);
        Assert.Equal("unknown input 'colour'; the variants of endpoint 'fraud' declare the inputs: 'features', 'device_history'", routed.Result.Error.Message);
    }

    [Fact]
    public async Task APinnedVariant_KeepsTodaysBehaviour_AnInputItDoesNotDeclareIsAnError()
    {
        var pinned = await _router.InferAsync(Request(withHistory: true), new RouteHints("user-1", "fraud:2"), CancellationToken.None);
        var named = await _router.InferAsync(new InferenceRequest { ModelName = "fraud", ModelVersion = 2, Inputs = Request(withHistory: true).Inputs }, default, CancellationToken.None);

        Assert.StartsWith("unknown input 'device_history'; the model's inputs are", pinned.Result.Error?.Message, StringComparison.Ordinal);
        Assert.StartsWith("unknown input 'device_history'; the model's inputs are", named.Result.Error?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_metrics.Fallbacks, f => f.Count != 0);
    }

    [Fact]
    public async Task TheObservation_NamesTheVariantThatServed()
    {
        var observer = new Recorder();
        _router.Observer = observer;
        var key = Enumerable.Range(0, 100).Select(i => "user-" + i).First(k => BucketHash.Hash("fraud", k) >= 0.5);

        var routed = await _router.InferAsync(Request(withHistory: false), new RouteHints(key), CancellationToken.None);
        _router.Observations.CatchUp();

        Assert.Equal("fraud:2", routed.Variant);
        var seen = Assert.Single(observer.Seen);
        Assert.Equal("fraud:2", seen.Variant.Name);
        Assert.Null(seen.Error);
    }

    private static RouteTable Table(double v2, double v3) => new("fraud", [new RouteVariant("fraud", 2, v2), new RouteVariant("fraud", 3, v3)]);

    private static InferenceRequest Request(bool withHistory) => new()
    {
        ModelName = "fraud",
        Inputs = withHistory
            ? [Tensor.FromSpan<float>("device_history", DataType.Fp32, [1, 4], History), Tensor.FromSpan<float>("features", DataType.Fp32, [1, 4], Features)]
            : [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 4], Features)],
    };

    private static float[] Score(RoutedInference routed) => routed.Result.Value!.Outputs.Single(o => o.Name == "score").AsSpan<float>().ToArray();

    private sealed class Recorder : IRouteObserver
    {
        public List<RouteObservation> Seen { get; } = [];

        public ObservationNeeds Needs(string endpoint, string? routingKey) => ObservationNeeds.Outcome;

        public void Observe(in RouteObservation observation) => Seen.Add(observation);
    }
}
