using Microsoft.Extensions.Time.Testing;
using Usher.Core.Telemetry;
using Usher.Server.Dashboard;

namespace Usher.Server.Tests.Dashboard;

public sealed class DashboardSamplerTests : IDisposable
{
    private readonly UsherMetrics _metrics = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly DashboardRecorder _recorder;
    private readonly DashboardSampler _sampler;

    public DashboardSamplerTests()
    {
        _recorder = new DashboardRecorder(_metrics);
        _sampler = new DashboardSampler(_recorder, _time);
    }

    public void Dispose()
    {
        _sampler.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public void Read_AfterOneIntervalOfTraffic_ComputesRateErrorRateAndPercentilesOfThatInterval()
    {
        var sampled2 = _metrics.ForVersion("sampled", 2);
        sampled2.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(3))); // before watching: not counted
        Assert.Empty(_sampler.Read().Versions);

        // 8 answered in 3 ms and 2 failed, over a 1 s interval.
        for (var i = 0; i < 8; i++)
        {
            sampled2.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(3)));
        }

        sampled2.Record(RequestObservation.Failed(FailureReason.Timeout));
        sampled2.Record(RequestObservation.Failed(FailureReason.Rejected));
        sampled2.BatchExecuted(8, TimeSpan.FromMilliseconds(2));
        _time.Advance(DashboardSampler.Interval);

        var version = Assert.Single(_sampler.Read().Versions);
        Assert.Equal(("sampled", "2"), (version.Model, version.Version));
        Assert.Equal(10, version.Requests);
        Assert.Equal(2, version.Errors);
        var point = Assert.Single(version.Points);
        Assert.Equal(_time.GetUtcNow(), point.At);
        Assert.Equal(10, point.RequestsPerSecond, 9);
        Assert.Equal(0.2, point.ErrorRate!.Value, 9);

        // All 8 latencies fall in the bucket (2.5 ms, 5 ms]: p50 is rank 4 of 8, 2.5 + 2.5 * 4/8 = 3.75 ms;
        // p99 rank 7.92, 2.5 + 2.5 * 7.92/8 = 4.975 ms.
        Assert.Equal(3.75, point.P50Ms!.Value, 9);
        Assert.Equal(4.975, point.P99Ms!.Value, 9);

        // The batch of 8 lands in the bucket "le 8", the fourth of [1, 2, 4, 8, ...].
        Assert.Equal(1, version.Batches[3]);
        Assert.Equal(1, version.Batches.Sum());
    }

    [Fact]
    public void Read_IntervalWithoutRequests_HasZeroRateAndNoErrorRateOrPercentiles()
    {
        _sampler.Read();
        _metrics.ForVersion("sampled", 1).Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        _time.Advance(DashboardSampler.Interval);
        _time.Advance(DashboardSampler.Interval);

        var points = Assert.Single(_sampler.Read().Versions).Points;
        Assert.Equal(2, points.Count);
        Assert.Equal(1, points[0].RequestsPerSecond);
        Assert.Equal(0, points[1].RequestsPerSecond);
        Assert.Null(points[1].ErrorRate);
        Assert.Null(points[1].P50Ms);
    }

    [Fact]
    public void Read_RoutedRequests_GiveEachEndpointsLiveSplit()
    {
        _sampler.Read();
        for (var i = 0; i < 30; i++)
        {
            _metrics.RoutedTo("sampled", i % 4 == 0 ? "sampled:2" : "sampled:1").Add();
        }

        _time.Advance(DashboardSampler.Interval);
        _time.Advance(DashboardSampler.Interval);

        var split = Assert.Single(_sampler.Read().Endpoints);
        Assert.Equal("sampled", split.Endpoint);
        Assert.Equal(2, split.WindowSeconds);

        // i % 4 == 0 for 8 of 0..29: 22 to sampled:1, 8 to sampled:2, over 2 s.
        Assert.Collection(
            split.Variants,
            v => Assert.Equal(("sampled:1", 11.0, 22.0 / 30), (v.Variant, v.RequestsPerSecond, v.Share!.Value)),
            v => Assert.Equal(("sampled:2", 4.0, 8.0 / 30), (v.Variant, v.RequestsPerSecond, v.Share!.Value)));
    }

    [Fact]
    public void Read_KeepsOnlyTheWindowsWorthOfPoints()
    {
        _sampler.Read();
        for (var i = 0; i < DashboardSampler.Capacity + 20; i++)
        {
            _metrics.ForVersion("sampled", 1).Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
            _time.Advance(DashboardSampler.Interval);
            if (i % 60 == 0)
            {
                _sampler.Read(); // a watcher keeps it alive
            }
        }

        Assert.Equal(DashboardSampler.Capacity - 1, Assert.Single(_sampler.Read().Versions).Points.Count);
    }

    [Fact]
    public void Sampling_WithoutReadsForTheIdleTime_StopsListeningUntilTheNextRead()
    {
        _sampler.Read();
        Assert.True(_recorder.Listening);
        _time.Advance(DashboardSampler.IdleAfter);
        Assert.False(_sampler.Running);
        Assert.False(_recorder.Listening);

        // Not listening: this request is not counted.
        _metrics.ForVersion("sampled", 1).Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        Assert.Empty(_sampler.Read().Versions);
        Assert.True(_sampler.Running);
    }

    [Fact]
    public void Recorder_IgnoresAnotherServersMeterOfTheSameName()
    {
        using var other = new UsherMetrics();
        _sampler.Read();
        other.ForVersion("sampled", 1).Record(RequestObservation.Failed(FailureReason.Timeout));
        _metrics.ForVersion("sampled", 1).Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        _time.Advance(DashboardSampler.Interval);

        var version = Assert.Single(_sampler.Read().Versions);
        Assert.Equal((1L, 0L), (version.Requests, version.Errors));
    }
}
