using System.Runtime.CompilerServices;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.RequestLogging;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.RequestLogging;

public sealed class RequestLogTests
{
    private static readonly RequestLoggingConfig Everything = new() { Sample = 1, Path = "logs" };

    [Fact]
    public async Task Offer_ChannelFull_DropsAndCountsWithoutWaitingForTheWriter()
    {
        using var metrics = new UsherMetrics();
        using var listener = DroppedListener(metrics, out var dropped);
        var sink = new HeldSink(held: true);
        var log = new RequestLog("fraud", "logs", Everything, sink, new RequestSampler(1, 7), new FakeTimeProvider(), metrics, NullLogger.Instance, capacity: 4);

        // The first record is taken by the log's task and held in the sink; four more fill the channel.
        log.Offer("fraud", "fraud:1", null, Request(0), Response());
        await sink.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 1; i <= 4 + 3; i++)
        {
            // Returns at once although the writer is held: the request path never waits for it.
            log.Offer("fraud", "fraud:1", null, Request(i), Response());
        }

        Assert.Equal(3, log.Dropped);
        Assert.Equal(3, dropped.Value);

        sink.Release();
        await log.DisposeAsync();
        Assert.Equal(5, log.Written);
        Assert.Equal([0f, 1f, 2f, 3f, 4f], sink.Written.Select(r => r.Inputs[0].AsSpan<float>()[0]));
        Assert.True(sink.Disposed);
    }

    [Fact]
    public async Task Offer_CopiesTheInputsItKeeps()
    {
        var sink = new HeldSink(held: false);
        var log = new RequestLog("fraud", "logs", Everything, sink, new RequestSampler(1, 7), new FakeTimeProvider(), null, NullLogger.Instance);
        var buffer = new byte[8];
        BitConverter.TryWriteBytes(buffer, 1.5f);
        var request = new InferenceRequest { ModelName = "fraud", Id = "r1", Inputs = [Tensor.FromBytes("x", DataType.Fp32, [2], buffer)] };

        log.Offer("fraud-endpoint", "fraud:3", "user-9", request, Response());
        Array.Clear(buffer); // the frontend reuses its buffer once it has answered
        await log.DisposeAsync();

        var record = Assert.Single(sink.Written);
        Assert.Equal(1.5f, record.Inputs[0].AsSpan<float>()[0]);
        Assert.Equal(("fraud", 1L, "fraud-endpoint", "fraud:3", "user-9", "r1"), (record.Model, record.Version, record.Endpoint, record.Variant, record.RoutingKey, record.RequestId));
        Assert.Equal(2.5, record.LatencyMs);
    }

    [Fact]
    public async Task Offer_AfterDispose_IsDroppedAndCounted()
    {
        var log = new RequestLog("fraud", "logs", Everything, new HeldSink(held: false), new RequestSampler(1, 7), new FakeTimeProvider(), null, NullLogger.Instance);
        await log.DisposeAsync();

        log.Offer("fraud", "fraud:1", null, Request(1), Response());

        Assert.Equal(1, log.Dropped);
    }

    [Fact]
    public void Sampler_TakesTheShareItIsGiven()
    {
        // 100,000 draws at 0.1: the binomial standard deviation is sqrt(n p (1-p)) = 94.9; allow 5 of them.
        var sampler = new RequestSampler(0.1, 12345);
        var taken = Enumerable.Range(0, 100_000).Count(_ => sampler.Next());

        Assert.InRange(taken, 10_000 - 475, 10_000 + 475);
    }

    [Fact]
    public void Sampler_SameSeed_TakesTheSameRequests()
    {
        var a = new RequestSampler(0.3, 99);
        var b = new RequestSampler(0.3, 99);
        var c = new RequestSampler(0.3, 100);

        var first = Enumerable.Range(0, 1000).Select(_ => a.Next()).ToList();
        Assert.Equal(first, Enumerable.Range(0, 1000).Select(_ => b.Next()));
        Assert.NotEqual(first, Enumerable.Range(0, 1000).Select(_ => c.Next()));
    }

    [Fact]
    public void Sampler_ShareOne_TakesEveryRequest()
    {
        var sampler = new RequestSampler(1, 5);

        Assert.True(Enumerable.Range(0, 1000).All(_ => sampler.Next()));
    }

    [Fact]
    public async Task Registry_SameSection_KeepsTheLog_ChangedSection_OpensANewOneAndRetainClosesTheOld()
    {
        var factory = new SinkFactory();
        await using var logs = new RequestLogs(factory, new FakeTimeProvider());
        var model = Path.Combine(Path.GetTempPath(), "repo", "fraud");

        var first = logs.Open("fraud", model, Everything);
        Assert.Same(first, logs.Open("fraud", model, Everything with { }));

        var second = logs.Open("fraud", model, Everything with { Sample = 0.5 });
        Assert.NotSame(first, second);
        Assert.False(factory.Sinks[0].Disposed);

        await logs.RetainAsync("fraud", second);
        Assert.True(factory.Sinks[0].Disposed);
        Assert.False(factory.Sinks[1].Disposed);
        Assert.Same(second, logs.Find("fraud"));

        await logs.RetainAsync("fraud", null);
        Assert.True(factory.Sinks[1].Disposed);
        Assert.Null(logs.Find("fraud"));
    }

    private static InferenceRequest Request(float value)
        => new() { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("x", DataType.Fp32, [1], [value])] };

    private static InferenceResponse Response()
        => new()
        {
            ModelName = "fraud",
            ModelVersion = 1,
            Outputs = [Tensor.FromSpan<float>("y", DataType.Fp32, [1], [0.5f])],
            Timings = new InferenceTimings(TimeSpan.Zero, TimeSpan.Zero, false, TimeSpan.FromMilliseconds(2.5)),
        };

    private static MeterListener DroppedListener(UsherMetrics metrics, out StrongBox<long> dropped)
    {
        var box = new StrongBox<long>();
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, metrics.RequestLogDropped))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            Assert.Equal("fraud", Assert.Single(tags.ToArray()).Value);
            Interlocked.Add(ref box.Value, value);
        });
        listener.Start();
        dropped = box;
        return listener;
    }

    private sealed class SinkFactory : IRequestLogSinkFactory
    {
        public List<HeldSink> Sinks { get; } = [];

        public IRequestLogSink Create(string model, string directory, RequestLoggingConfig config)
        {
            var sink = new HeldSink(held: false);
            Sinks.Add(sink);
            return sink;
        }
    }
}
