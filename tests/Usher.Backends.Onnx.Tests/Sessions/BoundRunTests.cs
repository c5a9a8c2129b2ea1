using Usher.Backends.Onnx.Format;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Backends;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Backends.Onnx.Tests.Sessions;

/// <summary>
/// <see cref="Backends.Onnx.Sessions.OnnxSession.Run"/> over a reused binding when a call's signature repeats:
/// results checked against a plain loop (<see cref="ReferenceMlp"/>), through shape changes, data-dependent
/// output shapes and concurrent callers.
/// </summary>
public sealed class BoundRunTests : IDisposable
{
    private const int Features = SampleModels.FraudFeatures;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_SameShapeRepeated_EveryCallMatchesTheReferenceAndEarlierResultsStayIntact()
    {
        using var session = await LoadFraudAsync();
        var results = new List<(float[] Rows, Tensor Probabilities, Tensor Label)>();

        // The third call of a shape onwards runs bound; each call has other data.
        for (var call = 0; call < 6; call++)
        {
            var rows = Rows(count: 1, seed: call);
            var outputs = session.Run([Tensor.FromSpan<float>("features", DataType.Fp32, [1, Features], rows)], ["probabilities", "label"]);
            results.Add((rows, outputs[0], outputs[1]));
        }

        // Checked after all calls: a result must not share the buffer that later runs overwrite.
        foreach (var (rows, probabilities, label) in results)
        {
            AssertMatchesReference(rows, 1, probabilities, label);
        }
    }

    [Fact]
    public async Task Run_BatchSizesChangingAndRepeating_EveryCallMatchesTheReference()
    {
        using var session = await LoadFraudAsync();
        int[] sizes = [1, 1, 1, 8, 8, 8, 1, 8, 3, 8, 1, 5, 5, 5, 1, 8, 64, 64, 64, 1];

        for (var call = 0; call < sizes.Length; call++)
        {
            var rows = Rows(sizes[call], seed: 100 + call);
            var outputs = session.Run([Tensor.FromSpan<float>("features", DataType.Fp32, [sizes[call], Features], rows)], ["probabilities", "label"]);

            AssertMatchesReference(rows, sizes[call], outputs[0], outputs[1]);
        }
    }

    [Fact]
    public async Task Run_OutputsRequestedInAnotherOrderOrSubset_ReturnsWhatWasAsked()
    {
        using var session = await LoadFraudAsync();
        var rows = Rows(2, seed: 7);
        var input = Tensor.FromSpan<float>("features", DataType.Fp32, [2, Features], rows);
        for (var call = 0; call < 3; call++)
        {
            session.Run([input], ["probabilities", "label"]);
        }

        var reversed = session.Run([input], ["label", "probabilities"]);
        var labelOnly = session.Run([input], ["label"]);

        Assert.Equal(["label", "probabilities"], reversed.Select(t => t.Name));
        AssertMatchesReference(rows, 2, reversed[1], reversed[0]);
        Assert.Equal(reversed[0].AsSpan<long>().ToArray(), Assert.Single(labelOnly).AsSpan<long>().ToArray());
    }

    [Fact]
    public async Task Run_OutputShapeDependsOnTheData_FallsBackAndStaysCorrect()
    {
        // NonZero's output is [1, count of non-zero elements]: the same input shape gives other output shapes.
        var path = Path.Combine(_temp.Path, "nonzero.onnx");
        new OnnxModelBuilder()
            .AddInput("x", DataType.Fp32, [6])
            .AddOutput("at", DataType.Int64, [1, -1])
            .AddNode("NonZero", ["x"], ["at"])
            .Save(path);
        using var session = await TestSessions.LoadAsync(path);
        float[][] calls = [[1, 0, 2, 0, 3, 0], [0, 5, 0, 6, 7, 0], [4, 4, 0, 0, 4, 4], [0, 0, 0, 0, 0, 9], [1, 1, 1, 1, 1, 1], [0, 2, 0, 2, 0, 2]];

        foreach (var x in calls)
        {
            var at = session.Run([Tensor.FromSpan<float>("x", DataType.Fp32, [6], x)], ["at"])[0];

            var expected = Enumerable.Range(0, x.Length).Where(i => x[i] != 0).Select(i => (long)i).ToArray();
            Assert.Equal([1L, expected.Length], at.Shape);
            Assert.Equal(expected, at.AsSpan<long>().ToArray());
        }
    }

    [Fact]
    public async Task Run_ManyThreadsAtOnce_EachGetsItsOwnRows()
    {
        using var session = await LoadFraudAsync();
        const int Threads = 8;
        const int Calls = 40;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();

        var workers = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (var call = 0; call < Calls; call++)
            {
                var size = call % 3 == 0 ? 2 : 1;
                var rows = Rows(size, seed: (t * 1000) + call);
                var outputs = session.Run([Tensor.FromSpan<float>("features", DataType.Fp32, [size, Features], rows)], ["probabilities", "label"]);
                var probabilities = outputs[0].AsSpan<float>();
                for (var r = 0; r < size; r++)
                {
                    var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(1), rows.AsSpan(r * Features, Features)));
                    if (Math.Abs(probabilities[(r * 2) + 1] - expected[1]) > 1e-5)
                    {
                        failures.Add($"thread {t} call {call} row {r}: {probabilities[(r * 2) + 1]} against {expected[1]}");
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Run_RepeatedShape_AllocatesLessThanAPlainRun()
    {
        using var session = await LoadFraudAsync();
        var input = Tensor.FromSpan<float>("features", DataType.Fp32, [1, Features], Rows(1, seed: 3));
        string[] outputNames = ["probabilities", "label"];
        for (var call = 0; call < 10; call++)
        {
            session.Run([input], outputNames);
        }

        IReadOnlyList<Tensor>[] inputs = [[input]];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var call = 0; call < 100; call++)
        {
            session.Run(inputs[0], outputNames);
        }

        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;

        // A bound call allocates what it returns: the output list and, per output, its tensor, its
        // bytes and its shape (336 B when written). The plain Run allocated 1,064 B: the names, the
        // ONNX Runtime values and their handles, the results' collection besides.
        Assert.InRange(perCall, 1, 480);
    }

    private static void AssertMatchesReference(float[] rows, int count, Tensor probabilities, Tensor label)
    {
        Assert.Equal([count, 2L], probabilities.Shape);
        Assert.Equal([(long)count], label.Shape);
        var p = probabilities.AsSpan<float>();
        var l = label.AsSpan<long>();
        for (var r = 0; r < count; r++)
        {
            var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(1), rows.AsSpan(r * Features, Features)));
            Assert.Equal(expected[0], p[r * 2], 1e-5);
            Assert.Equal(expected[1], p[(r * 2) + 1], 1e-5);
            Assert.Equal(expected[1] > expected[0] ? 1L : 0L, l[r]);
        }
    }

    private static float[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * Features];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)((random.NextDouble() * 6) - 3);
        }

        return rows;
    }

    private async Task<IBackendSession> LoadFraudAsync()
    {
        var path = Path.Combine(_temp.Path, "fraud.onnx");
        await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(1));
        return await TestSessions.LoadAsync(path);
    }
}
