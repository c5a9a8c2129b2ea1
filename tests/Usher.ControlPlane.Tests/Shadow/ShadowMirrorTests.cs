using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Shadow;

public sealed class ShadowMirrorTests
{
    private static readonly ShadowTarget Target = new("fraud", 2, 100, QueueCapacity: 4);

    [Fact]
    public async Task Offer_WhenTheQueueIsFull_DropsTheCopy_AndCountsIt_WithoutWaiting()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var metrics = new UsherMetrics();
        var dropped = new List<string>();
        using var listener = Listen(metrics, dropped);
        await using var mirror = new ShadowMirror(
            async ValueTask<InferenceResult<InferenceResponse>> (target, request, ct) =>
            {
                started.TrySetResult();
                await release.Task.WaitAsync(ct);
                return InferenceResult<InferenceResponse>.Success(Answer(target.Version));
            },
            new FakeTimeProvider(),
            metrics);
        mirror.Start("fraud", Target);

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the worker holds the first copy
        for (var i = 0; i < 10; i++)
        {
            mirror.Offer("fraud", "fraud:1", "k" + i, Request(), Answer(1), 1);
        }

        Assert.Equal(new ShadowCounts(0, 6, 0, 4), mirror.Counts("fraud"));
        Assert.Equal(6, dropped.Count(o => o == "dropped"));

        release.SetResult();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (mirror.Counts("fraud").Mirrored < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal(new ShadowCounts(5, 6, 0, 0), mirror.Counts("fraud"));
        Assert.Equal(5, dropped.Count(o => o == "mirrored"));
    }

    [Fact]
    public async Task Offer_CopiesTheInputs_SoALentBufferReusedAfterTheAnswerDoesNotReachTheShadow()
    {
        var seen = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mirror = new ShadowMirror(
            async ValueTask<InferenceResult<InferenceResponse>> (target, request, ct) =>
            {
                await release.Task.WaitAsync(ct);
                seen.TrySetResult(request.Inputs[0].AsSpan<float>().ToArray());
                Assert.Equal((2L, "fraud"), (request.ModelVersion!.Value, request.ModelName));
                return InferenceResult<InferenceResponse>.Success(Answer(target.Version));
            },
            new FakeTimeProvider());
        mirror.Start("fraud", Target);
        var buffer = new byte[30 * sizeof(float)];
        BitConverter.GetBytes(1.5f).CopyTo(buffer, 0);
        var lent = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromBytes("features", DataType.Fp32, [1, 30], buffer)] };

        mirror.Offer("fraud", "fraud:1", "k", lent, Answer(1), 1);
        Array.Clear(buffer); // the frontend reuses its buffer once the client has its answer
        release.SetResult();

        var copied = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1.5f, copied[0]);
    }

    [Fact]
    public void IsMirrored_IsStickyPerKey_AndCoversThePercentOfKeys()
    {
        var keys = Enumerable.Range(0, 20_000).Select(i => "user-" + i).ToList();
        var first = keys.Select(k => ShadowMirror.IsMirrored("fraud", k, 30)).ToList();
        var again = keys.Select(k => ShadowMirror.IsMirrored("fraud", k, 30)).ToList();

        Assert.Equal(first, again);
        Assert.InRange(first.Count(m => m) / (double)keys.Count, 0.28, 0.32);
        // Raising the share only adds keys: whoever was mirrored at 30% still is at 60%.
        Assert.All(keys.Where((_, i) => first[i]), k => Assert.True(ShadowMirror.IsMirrored("fraud", k, 60)));
    }

    private static MeterListener Listen(UsherMetrics metrics, List<string> outcomes)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "usher_shadow_requests")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    lock (outcomes)
                    {
                        outcomes.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        return listener;
    }

    private static InferenceRequest Request() => new() { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], new float[30])] };

    private static InferenceResponse Answer(long version) => new()
    {
        ModelName = "fraud",
        ModelVersion = version,
        Outputs = [Tensor.FromSpan<long>("label", DataType.Int64, [1], [0L])],
    };
}
