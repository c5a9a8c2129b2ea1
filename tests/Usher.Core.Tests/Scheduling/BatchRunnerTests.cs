using Usher.Core.Inference;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Xunit.Abstractions;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The batch's concatenated inputs live in pooled arrays for the length of the backend call: a batch
/// of 64 rows of 1,024 floats (256 KiB) allocates no array of its size, and a backend that answers
/// with a view of its input keeps that array out of the pool. docs/benchmarks.md states the budget.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class BatchRunnerTests(ITestOutputHelper output)
{
    /// <summary>Bytes a batch of 64 rows of 1,024 floats may allocate in the runner: a quarter of its input bytes.</summary>
    public const long LargeBatchBudget = Rows * Width * sizeof(float) / 4;

    private const int Rows = 64;
    private const int Width = 1024;

    [Fact]
    public void Execute_ABatchOfLargeRows_AllocatesLessThanItsInputBytes()
    {
        IReadOnlyList<Tensor> answer = [Tensor.FromBytes("y", DataType.Fp32, [Rows, 1], new byte[Rows * 4])];
        long sum = 0;
        var runner = Runner((inputs, _) =>
        {
            // Reads every row, so the rows the backend sees are checked too.
            foreach (var value in inputs[0].AsSpan<float>())
            {
                sum += (long)value;
            }

            return answer;
        });
        const int Batches = 8;
        var batches = new List<List<QueuedRequest>>();
        for (var b = 0; b < Batches + 2; b++)
        {
            batches.Add([.. Enumerable.Range(0, Rows).Select(r => Queued(Row(r)))]);
        }

        runner.Execute(batches[0]);
        runner.Execute(batches[1]);
        sum = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var b = 2; b < batches.Count; b++)
        {
            runner.Execute(batches[b]);
        }

        var perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / Batches;
        output.WriteLine($"a batch of {Rows} rows of {Width} floats allocates {perBatch} B in the runner");

        // Row r holds r, r + 1, ..., r + 1023: its sum is 1024 r + 1023 * 1024 / 2.
        var expected = Batches * Enumerable.Range(0, Rows).Sum(r => (Width * (long)r) + (Width * (Width - 1L) / 2));
        Assert.Equal(expected, sum);
        Assert.True(perBatch <= LargeBatchBudget, $"a batch of {Rows} rows of {Width} floats allocated {perBatch} B; its inputs are {Rows * Width * sizeof(float)} B, which should come from the pool (budget {LargeBatchBudget} B)");
        Assert.All(batches.SelectMany(b => b), item => Assert.True(item.Result.IsSuccess));
    }

    [Fact]
    public void Execute_WhenTheBackendAnswersWithItsInput_LaterBatchesLeaveThoseAnswersIntact()
    {
        var runner = Runner((inputs, _) => [Tensor.FromBytes("y", DataType.Fp32, inputs[0].Shape, inputs[0].Data)]);
        var first = Enumerable.Range(0, Rows).Select(r => Queued(Row(r))).ToList();
        runner.Execute(first);

        for (var b = 0; b < 4; b++)
        {
            runner.Execute([.. Enumerable.Range(0, Rows).Select(_ => Queued(Row(-1)))]);
        }

        for (var r = 0; r < Rows; r++)
        {
            var values = first[r].Result.Value!.Outputs[0].AsSpan<float>();
            Assert.Equal(Width, values.Length);
            Assert.Equal(r, values[0]);
            Assert.Equal(r + Width - 1, values[^1]);
        }
    }

    private static BatchRunner Runner(Func<IReadOnlyList<Tensor>, IReadOnlyList<string>, IReadOnlyList<Tensor>> run)
        => new(run, "model 'm' version 1", new ModelMetrics(), new MemoryBudget(1L << 30), TimeProvider.System, new ExecutionTimeModel(), new InstanceLoad(1, TimeProvider.System));

    private static ValidatedRequest Row(int start)
    {
        var values = new float[Width];
        for (var i = 0; i < Width; i++)
        {
            values[i] = start + i;
        }

        var request = new InferenceRequest { ModelName = "m", Inputs = [Tensor.FromSpan<float>("x", DataType.Fp32, [1, Width], values)] };
        return new ValidatedRequest(request, request.Inputs, ["y"], ["y"], 1);
    }

    private static QueuedRequest Queued(ValidatedRequest request) => new(request, 1, 0, BatchRunner.InputBytes(request));
}
