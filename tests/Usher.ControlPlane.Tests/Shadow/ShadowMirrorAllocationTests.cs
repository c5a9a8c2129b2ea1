using Usher.Backends.Onnx;
using Usher.ControlPlane.Shadow;
using Usher.ControlPlane.Tests.Rollouts;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Usher.Testing;
using Xunit.Abstractions;

namespace Usher.ControlPlane.Tests.Shadow;

/// <summary>
/// What the shadow's thread allocates per copy at one look (real ONNX Runtime, <c>fraud</c> with a
/// batch dimension, fake time): the copy pinned to the shadow, its validation, the stacked run and its
/// split, the answer, the pair and the comparison. Measured on the shadow's thread itself (the
/// observer reads <see cref="GC.GetAllocatedBytesForCurrentThread"/> as each pair arrives), so other
/// tests running beside it do not count; the first slice (which warms the pools) is left out.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class ShadowMirrorAllocationTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// Bytes the shadow's thread may allocate per copy of <c>fraud</c> stacked 16 to a slice, the
    /// comparison included: the copy pinned to the shadow, its validation and answer (the outputs the
    /// pair hands to the comparison), the pair, and the slice's run shared out. It holds in either
    /// build (a Debug build also allocates every async state machine, about 300 B a copy here); before
    /// the stack's members completed themselves and its keys and inputs were no longer built per copy,
    /// a copy took 2,907 B in a Debug build.
    /// </summary>
    public const long CopyBudget = 2_048;

    private const int Copies = 1_600;
    private static readonly ShadowTarget Target = new("fraud", 2, 100, QueueCapacity: Copies + 16);
    private readonly TempDirectory _dir = new();
    private readonly TimerSignallingTime _time = new();
    private ModelManager _models = null!;

    [Fact]
    public async Task OneLook_OfStackedCopies_AllocatesWithinTheBudgetPerCopy_ComparisonIncluded()
    {
        var withComparison = await MeasureAsync(compare: true);
        var alone = await MeasureAsync(compare: false);
        output.WriteLine($"per copy on the shadow's thread: {withComparison:F0} B with the comparison, {alone:F0} B without");
        Assert.True(withComparison <= CopyBudget, $"the shadow's thread allocated {withComparison:F0} B per copy; budget {CopyBudget}");
    }

    public async Task InitializeAsync()
    {
        var repo = Path.Combine(_dir.Path, "repo");
        ControllerHarness.WriteVersion(repo, 1);
        ControllerHarness.WriteVersion(repo, 2, drifted: true);
        await File.WriteAllTextAsync(Path.Combine(repo, "fraud", "config.yaml"), "max_batch_size: 64\nversion_policy:\n  all: {}\n");
        _models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = repo, UnloadTimeoutSeconds = 5 });
        await _models.LoadAllAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _models.DisposeAsync();
        _dir.Dispose();
    }

    // Bytes per copy on the shadow's thread over one look at Copies queued copies, the first slice left out.
    private async Task<double> MeasureAsync(bool compare)
    {
        var recorder = new ShadowRecorder();
        recorder.Start("fraud", _time.GetUtcNow(), 0.01);
        var probe = new AllocationProbe(compare ? recorder : null, Copies + 1);
        var mirror = new ShadowMirror(_models, _time) { Observer = probe };
        await using (mirror)
        {
            mirror.Start("fraud", Target);

            // The first copy wakes the worker, which then paces: the rest queue for its next look.
            mirror.Offer("fraud", "fraud:1", "k", Request(0), Answer(0), 1);
            await _time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
            await probe.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
            for (var i = 1; i <= Copies; i++)
            {
                Assert.True(mirror.TryHandOver("fraud", "fraud:1", Request(i), Answer(i), 1, default));
            }

            _time.Advance(ShadowMirror.Pace);
            await probe.All.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal((Copies + 1L, 0L), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Failed));
        }

        if (compare)
        {
            Assert.Equal(Copies + 1, recorder.Report("fraud")!.Pairs);
        }

        // Pairs arrive a slice at a time: from the end of the look's first slice to its last.
        var firstSlice = 1 + ShadowMirror.SliceCopies;
        return (probe.Bytes[Copies] - probe.Bytes[firstSlice - 1]) / (double)(Copies + 1 - firstSlice);
    }

    private static InferenceRequest Request(int seed)
    {
        var random = new Random(seed);
        var row = new float[30];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return new InferenceRequest { ModelName = "fraud", Id = "r" + seed, Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], row)] };
    }

    private static InferenceResponse Answer(int seed) => new()
    {
        ModelName = "fraud",
        ModelVersion = 1,
        Id = "r" + seed,
        Outputs = [Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [0.9f, 0.1f]), Tensor.FromSpan<long>("label", DataType.Int64, [1], [seed % 2])],
    };

    // Reads the thread's allocated bytes as each pair arrives (before passing it on), into an array made beforehand.
    private sealed class AllocationProbe(IShadowObserver? inner, int expected) : IShadowObserver
    {
        private int _seen;

        public long[] Bytes { get; } = new long[expected];

        public TaskCompletionSource First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Observe(ShadowPair pair)
        {
            inner?.Observe(pair);
            var seen = _seen++;
            Bytes[seen] = GC.GetAllocatedBytesForCurrentThread();
            if (seen == 0)
            {
                First.TrySetResult();
            }

            if (seen == expected - 1)
            {
                All.TrySetResult();
            }
        }
    }
}
