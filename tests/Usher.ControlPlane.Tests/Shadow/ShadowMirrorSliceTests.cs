using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Tests.Rollouts;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Shadow;

/// <summary>
/// The shadow's worker on the real ONNX Runtime (<c>fraud</c> version 1 primary, a drifted version 2
/// shadow): the copies it takes at one look start under one request stack, so that a model with a
/// batch dimension runs them as one backend run; each copy is still answered and compared on its own.
/// The pace runs on fake time; the answers are checked against a plain loop over the weights.
/// </summary>
public sealed class ShadowMirrorSliceTests : IAsyncLifetime
{
    private const string Batched = "max_batch_size: 64\nversion_policy:\n  all: {}\n";
    private static readonly ShadowTarget Target = new("fraud", 2, 100, QueueCapacity: 64);
    private readonly TempDirectory _dir = new();
    private readonly TimerSignallingTime _time = new();
    private RunRecordingBackend _backend = null!;
    private ModelManager _models = null!;

    [Fact]
    public async Task OneLook_RunsItsQueuedCopies_AsOneBackendRun_AndPairsEachAnswerWithItsOwnRequest()
    {
        await LoadAsync(Batched);
        var pairs = new PairSink(expected: 13);
        await using var mirror = await PacingAsync(pairs);

        // Twelve copies queue while the worker paces: ten of one row, two of two rows.
        var rows = new Dictionary<string, float[][]>();
        for (var i = 1; i <= 12; i++)
        {
            var id = "r" + i;
            rows[id] = Rows(i % 5 == 0 ? 2 : 1, seed: i);
            Assert.True(mirror.TryHandOver("fraud", "fraud:1", Request(id, rows[id]), Answer(id), 1, default));
        }

        _time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The first copy ran alone (it woke the worker); the twelve, 14 rows, as one run.
        Assert.Equal(new long[] { 1, 14 }, _backend.Runs);
        Assert.Equal((13L, 0L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));

        // Each pair holds its own request, the primary's answer to it, and the shadow's answer to
        // exactly its rows, as the drifted weights computed by a plain loop give them.
        foreach (var pair in pairs.Pairs.Where(p => p.Request.Id != "r0"))
        {
            var id = pair.Request.Id!;
            Assert.Equal((id, id), (pair.PrimaryResponse.Id, pair.ShadowResponse!.Id));
            Assert.Equal(rows[id].SelectMany(r => r), pair.Request.Inputs[0].AsSpan<float>().ToArray());
            var expected = rows[id].Select(r => ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudDriftedWeights(2), r))).ToArray();
            var probabilities = pair.ShadowResponse.Outputs.Single(t => t.Name == "probabilities");
            var labels = pair.ShadowResponse.Outputs.Single(t => t.Name == "label");
            Assert.Equal(new long[] { rows[id].Length, 2 }, probabilities.Shape);
            Assert.Equal(new long[] { rows[id].Length }, labels.Shape);
            for (var r = 0; r < expected.Length; r++)
            {
                Assert.Equal(expected[r][0], probabilities.AsSpan<float>()[2 * r], 5);
                Assert.Equal(expected[r][1], probabilities.AsSpan<float>()[(2 * r) + 1], 5);
                Assert.Equal(expected[r][1] > expected[r][0] ? 1L : 0L, labels.AsSpan<long>()[r]);
            }
        }
    }

    [Fact]
    public async Task OneLook_CopiesThatCannotStack_RunApart_AndABadCopyFailsAlone()
    {
        await LoadAsync(Batched);
        var pairs = new PairSink(expected: 9);
        await using var mirror = await PacingAsync(pairs);

        // Four copies asking for every output, three only for the label (another key: another run),
        // and one whose rows have 29 features (refused by validation, before any stack).
        for (var i = 1; i <= 4; i++)
        {
            mirror.TryHandOver("fraud", "fraud:1", Request("all" + i, Rows(1, seed: i)), Answer("all" + i), 1, default);
        }

        for (var i = 1; i <= 3; i++)
        {
            var request = Request("label" + i, Rows(1, seed: 10 + i));
            mirror.TryHandOver("fraud", "fraud:1", new InferenceRequest { ModelName = "fraud", Id = request.Id, Inputs = request.Inputs, Outputs = [new RequestedOutput("label", new Dictionary<string, object>())] }, Answer(request.Id!), 1, default);
        }

        var bad = new InferenceRequest { ModelName = "fraud", Id = "bad", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 29], new float[29])] };
        mirror.TryHandOver("fraud", "fraud:1", bad, Answer("bad"), 1, default);

        _time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new long[] { 1, 3, 4 }, _backend.Runs.Order());
        Assert.Equal((8L, 1L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));
        var failed = Assert.Single(pairs.Pairs, p => p.ShadowError is not null);
        Assert.Equal(("bad", InferenceErrorKind.InvalidArgument), (failed.Request.Id, failed.ShadowError!.Kind));
        Assert.All(pairs.Pairs.Where(p => p.Request.Id!.StartsWith("label", StringComparison.Ordinal)), p => Assert.Equal("label", Assert.Single(p.ShadowResponse!.Outputs).Name));
    }

    [Fact]
    public async Task OneLook_OnAModelWithoutABatchDimension_RunsEachCopyAlone()
    {
        await LoadAsync("max_batch_size: 0\nversion_policy:\n  all: {}\n");
        var pairs = new PairSink(expected: 6);
        await using var mirror = await PacingAsync(pairs);

        for (var i = 1; i <= 5; i++)
        {
            mirror.TryHandOver("fraud", "fraud:1", Request("r" + i, Rows(1, seed: i)), Answer("r" + i), 1, default);
        }

        _time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1 }, _backend.Runs);
        Assert.Equal((6L, 0L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));
    }

    [Fact]
    public async Task OneLook_WhenTheStackedRunFails_CountsEveryCopyOfItAsFailed_EachPairedWithTheError()
    {
        await LoadAsync(Batched);
        var pairs = new PairSink(expected: 6);
        await using var mirror = await PacingAsync(pairs);
        _backend.FailStackedRuns = true;

        for (var i = 1; i <= 5; i++)
        {
            mirror.TryHandOver("fraud", "fraud:1", Request("r" + i, Rows(1, seed: i)), Answer("r" + i), 1, default);
        }

        _time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new long[] { 1, 5 }, _backend.Runs);
        Assert.Equal((1L, 5L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));
        var failed = pairs.Pairs.Where(p => p.Request.Id != "r0").ToList();
        Assert.Equal(["r1", "r2", "r3", "r4", "r5"], failed.Select(p => p.Request.Id!).Order());
        Assert.All(failed, p => Assert.Equal((null, InferenceErrorKind.Internal), (p.ShadowResponse, p.ShadowError?.Kind)));
    }

    [Fact]
    public async Task OneLook_OfThreeSlices_StackedInPooledBuffers_AnswersEachCopyAsItsOwnSingleRunDoes()
    {
        await LoadAsync(Batched);
        const int Copies = (2 * ShadowMirror.SliceCopies) + 8;
        var pairs = new PairSink(expected: Copies + 1);
        await using var mirror = await PacingAsync(pairs);

        var rows = new Dictionary<string, float[][]>();
        for (var i = 1; i <= Copies; i++)
        {
            var id = "r" + i;
            rows[id] = Rows(i % 7 == 0 ? 3 : 1, seed: 100 + i);
            Assert.True(mirror.TryHandOver("fraud", "fraud:1", Request(id, rows[id]), Answer(id), 1, default));
        }

        _time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Three slices, each one run of its rows: the later slices' stacked inputs were rented where
        // the earlier ones' had been given back.
        var sliceRows = rows.Values.Select(r => (long)r.Length).Chunk(ShadowMirror.SliceCopies).Select(c => c.Sum());
        Assert.Equal([1L, .. sliceRows], _backend.Runs);
        Assert.Equal((Copies + 1L, 0L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));

        // Read once every slice has run: each copy's answer is what the same request run alone on the
        // shadow answers, and what the drifted weights give by a plain loop.
        var version = (await _models.AcquireAsync("fraud", 2, CancellationToken.None)).Value!;
        try
        {
            foreach (var pair in pairs.Pairs.Where(p => p.Request.Id != "r0"))
            {
                var id = pair.Request.Id!;
                var alone = (await version.InferAsync(Request(id, rows[id]), CancellationToken.None)).Value!;
                var single = alone.Outputs.Single(t => t.Name == "probabilities").AsSpan<float>().ToArray();
                var stacked = pair.ShadowResponse!.Outputs.Single(t => t.Name == "probabilities").AsSpan<float>().ToArray();
                var expected = rows[id].SelectMany(r => ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudDriftedWeights(2), r))).ToArray();
                Assert.Equal(expected.Length, stacked.Length);
                for (var k = 0; k < expected.Length; k++)
                {
                    Assert.Equal(single[k], stacked[k], 5);
                    Assert.Equal(expected[k], stacked[k], 5);
                }

                Assert.Equal(alone.Outputs.Single(t => t.Name == "label").AsSpan<long>().ToArray(), pair.ShadowResponse.Outputs.Single(t => t.Name == "label").AsSpan<long>().ToArray());
            }
        }
        finally
        {
            version.Release();
        }
    }

    [Fact]
    public async Task OneLook_WhenTheShadowVersionCannotBeLeased_FailsEachCopyOnItsOwn()
    {
        await LoadAsync(Batched);
        var pairs = new PairSink(expected: 6);
        await using var mirror = new ShadowMirror(_models, _time) { Observer = pairs };

        // Version 3 was never loaded: the slice's lease fails, and with it each of the slice's copies.
        mirror.Start("fraud", Target with { Version = 3 });
        mirror.Offer("fraud", "fraud:1", "k", Request("r0", Rows(1, seed: 0)), Answer("r0"), 1);
        await _time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 1; i <= 5; i++)
        {
            mirror.TryHandOver("fraud", "fraud:1", Request("r" + i, Rows(1, seed: i)), Answer("r" + i), 1, default);
        }

        _time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(_backend.Runs);
        Assert.Equal((0L, 6L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));
        Assert.Equal(["r0", "r1", "r2", "r3", "r4", "r5"], pairs.Pairs.Select(p => p.Request.Id!).Order());
        Assert.All(pairs.Pairs, p => Assert.Equal((null, InferenceErrorKind.NotFound), (p.ShadowResponse, p.ShadowError?.Kind)));
        Assert.All(pairs.Pairs, p => Assert.Contains("3", p.ShadowError!.Message, StringComparison.Ordinal));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_models is not null)
        {
            await _models.DisposeAsync();
        }

        _dir.Dispose();
    }

    private async Task LoadAsync(string config)
    {
        var repo = Path.Combine(_dir.Path, "repo");
        ControllerHarness.WriteVersion(repo, 1);
        ControllerHarness.WriteVersion(repo, 2, drifted: true);
        await File.WriteAllTextAsync(Path.Combine(repo, "fraud", "config.yaml"), config);
        _backend = new RunRecordingBackend(new OnnxBackend(), version: 2);
        _models = new ModelManager(_backend, new RepositoryOptions { Path = repo, UnloadTimeoutSeconds = 5 });
        await _models.LoadAllAsync(CancellationToken.None);
        _backend.Runs.Clear(); // the warm-up's runs
    }

    // A mirror whose worker ran a first copy (which woke it) and now paces: what is handed over
    // meanwhile waits for its next look.
    private async Task<ShadowMirror> PacingAsync(PairSink pairs)
    {
        var mirror = new ShadowMirror(_models, _time) { Observer = pairs };
        mirror.Start("fraud", Target);
        mirror.Offer("fraud", "fraud:1", "k", Request("r0", Rows(1, seed: 0)), Answer("r0"), 1);
        await _time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1L], _backend.Runs);
        return mirror;
    }

    private static float[][] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 30).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray())];
    }

    private static InferenceRequest Request(string id, float[][] rows) => new()
    {
        ModelName = "fraud",
        Id = id,
        Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [rows.Length, 30], rows.SelectMany(r => r).ToArray())],
    };

    private static InferenceResponse Answer(string id) => new()
    {
        ModelName = "fraud",
        ModelVersion = 1,
        Id = id,
        Outputs = [Tensor.FromSpan<long>("label", DataType.Int64, [1], [0L])],
    };
}
