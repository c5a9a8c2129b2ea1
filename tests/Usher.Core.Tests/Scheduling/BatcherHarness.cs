using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// A batcher over a stand-in backend that doubles its input (y = 2x) and records each batch's rows.
/// Time is fake: delays and timeouts move only when the test advances the clock; a batch "takes"
/// <see cref="ComputePerRow"/> of fake time per row, so the latency model has something to learn.
/// </summary>
internal sealed class BatcherHarness : IAsyncDisposable
{
    private readonly ManualResetEventSlim _gate = new(initialState: true);

    public BatcherHarness(BatcherSettings settings, long memoryLimit = 1L << 30, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        Budget = new MemoryBudget(memoryLimit);
        Batcher = new DynamicBatcher(settings, Run, "model 'm' version 1", Metrics.ForVersion("m", 1), Budget, Time);
    }

    /// <summary>The metrics the batcher records into (a test may listen with a MeasurementRecorder).</summary>
    public UsherMetrics Metrics { get; } = new();

    public FakeTimeProvider Time { get; }

    public DynamicBatcher Batcher { get; }

    public MemoryBudget Budget { get; }

    public List<int> Batches { get; } = [];

    public List<float> RanFirstValues { get; } = [];

    /// <summary>For each batch, whether it ran on one of the batcher's executor threads (false: a caller's thread).</summary>
    public List<bool> RanOnExecutor { get; } = [];

    public TimeSpan ComputePerRow { get; set; }

    public Exception? FailNext { get; set; }

    public int Running;

    public int MaxRunning;

    /// <summary>Makes the next batches wait in the backend until <see cref="Release"/>.</summary>
    public void Hold() => _gate.Reset();

    public void Release() => _gate.Set();

    public static BatcherSettings Settings(int maxBatch = 8, int delayMicros = 0, int[]? preferred = null, int levels = 1, ResolvedQueuePolicy? policy = null, double? latencyTargetMs = null, int instances = 1, BatchingMode mode = BatchingMode.Delay)
        => new()
        {
            MaxBatchSize = maxBatch,
            Mode = mode,
            MaxQueueDelay = TimeSpan.FromTicks(delayMicros * 10L),
            PreferredBatchSizes = preferred ?? [],
            Levels = levels,
            DefaultLevel = 1,
            Policies = [.. Enumerable.Repeat(policy ?? new ResolvedQueuePolicy(100, null, false, TimeoutAction.Reject), levels)],
            LatencyTarget = latencyTargetMs is double ms ? TimeSpan.FromMilliseconds(ms) : null,
            Instances = instances,
        };

    /// <summary>A request of <paramref name="rows"/> rows of <paramref name="width"/> values, each row starting at <paramref name="start"/>.</summary>
    public static ValidatedRequest Request(int rows, float start = 1, int width = 2)
    {
        var values = new float[rows * width];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = start + i;
        }

        var request = new InferenceRequest { ModelName = "m", Inputs = [Tensor.FromSpan<float>("x", DataType.Fp32, [rows, width], values)] };
        return new ValidatedRequest(request, request.Inputs, ["y"], ["y"], rows);
    }

    public Task<InferenceResult<BatchResult>> Enqueue(ValidatedRequest request, int level = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => Batcher.EnqueueAsync(request, level, timeout, cancellationToken).AsTask();

    /// <summary>
    /// Enqueues from a thread-pool thread: with an idle instance and an empty queue the batcher runs
    /// a request on the caller's thread, which would block the test while the backend is held.
    /// </summary>
    public Task<InferenceResult<BatchResult>> EnqueueFromAnotherThread(ValidatedRequest request, int level = 1)
        => Task.Run(() => Batcher.EnqueueAsync(request, level, null, CancellationToken.None).AsTask());

    /// <summary>Waits (on real time, bounded) until a condition about the batcher holds.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Yield();
            await Task.Delay(1);
        }
    }

    public ValueTask DisposeAsync()
    {
        _gate.Set();
        return Batcher.DisposeAsync();
    }

    private IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs)
    {
        var running = Interlocked.Increment(ref Running);
        lock (Batches)
        {
            MaxRunning = Math.Max(MaxRunning, running);
        }

        try
        {
            _gate.Wait(TimeSpan.FromSeconds(10));
            var x = inputs[0];
            lock (Batches)
            {
                Batches.Add((int)x.Shape[0]);
                RanFirstValues.Add(x.AsSpan<float>()[0]);
                RanOnExecutor.Add(Thread.CurrentThread.Name?.StartsWith("usher executor", StringComparison.Ordinal) == true);
            }

            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }

            Time.Advance(ComputePerRow * x.Shape[0]);
            var y = x.AsSpan<float>().ToArray().Select(v => v * 2).ToArray();
            return [Tensor.FromSpan<float>(outputs[0], DataType.Fp32, x.Shape, y)];
        }
        finally
        {
            Interlocked.Decrement(ref Running);
        }
    }
}
