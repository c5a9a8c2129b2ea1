using Usher.Core.Telemetry;

namespace Usher.Core.Tests.Telemetry;

public sealed class ModelMetricsTests : IDisposable
{
    private readonly UsherMetrics _metrics = new();
    private readonly MeasurementRecorder _recorder;

    public ModelMetricsTests() => _recorder = new MeasurementRecorder(_metrics);

    public void Dispose()
    {
        _recorder.Dispose();
        _metrics.Dispose();
    }

    private static void AssertVersionLabels(MeasurementRecorder.Recorded measurement, string model = "fraud", string version = "2")
    {
        Assert.Equal(model, measurement.Labels["model"]);
        Assert.Equal(version, measurement.Labels["version"]);
    }

    // Per-bucket counts (not cumulative) and the sum of a totals histogram.
    private static (long[] Counts, long Sum) Read(FixedHistogram histogram)
    {
        var counts = new long[histogram.Buckets];
        var sum = histogram.Read(counts);
        return (counts, sum);
    }

    [Fact]
    public void RequestFailed_Timeout_AddsOneToFailureCounterWithReasonTimeout()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.Record(RequestObservation.Failed(FailureReason.Timeout));

        Assert.Equal(1, version.Totals!.Failures(FailureReason.Timeout));
        Assert.Equal(1, version.Totals.Failed);
        Assert.Equal(0, version.Totals.Succeeded);
        _recorder.Observe();
        var failure = Assert.Single(_recorder.Of("usher_inference_request_failure"));
        Assert.Equal(1, failure.Value);
        AssertVersionLabels(failure);
        Assert.Equal("timeout", failure.Labels["reason"]);
        Assert.Equal(3, failure.Labels.Count);
    }

    [Theory]
    [InlineData(FailureReason.Invalid, "invalid")]
    [InlineData(FailureReason.Rejected, "rejected")]
    [InlineData(FailureReason.Timeout, "timeout")]
    [InlineData(FailureReason.Canceled, "canceled")]
    [InlineData(FailureReason.Backend, "backend")]
    public void RequestFailed_LabelsEveryReasonInLowerCase(object reason, string label)
    {
        // object: a public test method cannot take Core's internal enums.
        _metrics.ForVersion("fraud", 2).Record(RequestObservation.Failed((FailureReason)reason));

        _recorder.Observe();
        Assert.Equal(label, Assert.Single(_recorder.Of("usher_inference_request_failure")).Labels["reason"]);
    }

    [Fact]
    public void BatchExecuted_OfEight_AddsEightInferencesOneExecutionAndRecordsBatchSizeEight()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.BatchExecuted(8, TimeSpan.FromMilliseconds(3));

        var totals = version.Totals!;
        Assert.Equal(8, totals.Inferences);
        Assert.Equal(1, totals.Executions);
        var (batches, rows) = Read(totals.BatchSize);
        Assert.Equal(8, rows);
        Assert.Equal(1, batches[3]); // buckets 1, 2, 4, 8: 8 is in the fourth (le="8")
        Assert.Equal(1, batches.Sum());
        var (compute, ticks) = Read(totals.BatchComputeDuration);
        Assert.Equal(TimeSpan.FromMilliseconds(3).Ticks, ticks);
        Assert.Equal(1, compute[6]); // 2.5 ms < 3 ms <= 5 ms
        Assert.Equal(0, Read(totals.ComputeDuration).Counts.Sum());
        Assert.Equal(0, totals.Succeeded);

        _recorder.Observe();
        Assert.Equal(8, Assert.Single(_recorder.Of("usher_inference_count")).Value);
        Assert.Equal(1, Assert.Single(_recorder.Of("usher_inference_exec_count")).Value);
        Assert.Empty(_recorder.Of("usher_inference_request_success"));
        Assert.All(_recorder.Measurements.Where(m => m.Instrument != "usher_saturation"), m => AssertVersionLabels(m));
    }

    [Fact]
    public void RequestSucceeded_RecordsDurationsOnceEachAndOneSuccess()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.Record(RequestObservation.Succeeded(queue: TimeSpan.FromMilliseconds(1.5), compute: TimeSpan.FromMilliseconds(4), total: TimeSpan.FromMilliseconds(6)));

        var totals = version.Totals!;
        Assert.Equal(1, totals.Succeeded);
        Assert.Equal((1, 15_000L), (Read(totals.QueueDuration).Counts[5], Read(totals.QueueDuration).Sum)); // 1 ms < 1.5 ms <= 2.5 ms
        Assert.Equal((1, 40_000L), (Read(totals.ComputeDuration).Counts[6], Read(totals.ComputeDuration).Sum)); // 2.5 ms < 4 ms <= 5 ms
        Assert.Equal((1, 60_000L), (Read(totals.RequestDuration).Counts[7], Read(totals.RequestDuration).Sum)); // 5 ms < 6 ms <= 10 ms
        Assert.Equal(1, Read(totals.RequestDuration).Counts.Sum());
    }

    [Fact]
    public void ABoundValue_FallsInTheBucketItBounds()
    {
        // Prometheus "le": 50 µs exactly is in the first bucket, 50.1 µs in the second.
        var version = _metrics.ForVersion("fraud", 2);
        version.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMicroseconds(50)));
        version.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromTicks(501)));
        version.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(11)));

        var counts = Read(version.Totals!.RequestDuration).Counts;
        Assert.Equal(1, counts[0]);
        Assert.Equal(1, counts[1]);
        Assert.Equal(1, counts[^1]); // above 10 s: the overflow bucket
        Assert.Equal(UsherMetrics.LatencyBuckets.Count + 1, counts.Length);
    }

    [Fact]
    public void ForVersion_TwiceForOneVersion_SharesItsTotals()
    {
        _metrics.ForVersion("fraud", 2).Record(RequestObservation.Failed(FailureReason.Invalid));
        var again = _metrics.ForVersion("fraud", 2);
        again.Record(RequestObservation.Failed(FailureReason.Invalid));

        Assert.Equal(2, again.Totals!.Failures(FailureReason.Invalid));
        Assert.Single(_metrics.Totals);
    }

    [Fact]
    public void Muted_RecordsNothing()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.Muted = true;
        version.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        version.BatchExecuted(1, TimeSpan.FromMilliseconds(1));
        version.CacheMiss();
        version.Muted = false;

        Assert.Equal(0, version.Totals!.Succeeded);
        Assert.Equal(0, version.Totals.Executions);
        Assert.Equal(0, version.Totals.CacheMisses);
    }

    [Fact]
    public void CacheHitAndMiss_CountSeparatelyAndTimeTheHit()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.Record(RequestObservation.CacheHit(TimeSpan.FromMicroseconds(80)));
        version.CacheMiss();
        version.CacheMiss();

        Assert.Equal(1, version.Totals!.CacheHits);
        Assert.Equal(2, version.Totals.CacheMisses);
        Assert.Equal(800, Read(version.Totals.CacheHitDuration).Sum);
        Assert.Equal(1, Read(version.Totals.CacheHitDuration).Counts[1]); // 50 µs < 80 µs <= 100 µs
        Assert.Equal(0, version.Totals.Succeeded);
        _recorder.Observe();
        Assert.Equal(1, Assert.Single(_recorder.Of("usher_cache_hits")).Value);
        Assert.Equal(2, Assert.Single(_recorder.Of("usher_cache_misses")).Value);
    }

    [Fact]
    public void Observe_GaugesFollowTheCallbacksAndStopAfterDispose()
    {
        var pending = 3;
        var retired = _metrics.ForVersion("fraud", 1);
        var live = _metrics.ForVersion("fraud", 2);
        retired.Observe(() => 100, () => 100, () => 100, () => new LoadSignals(4, 1.0, TimeSpan.FromSeconds(1), 1.0));
        live.Observe(() => pending, () => 4096, () => 5, () => new LoadSignals(2, 0.5, TimeSpan.FromMilliseconds(250), 0.6));

        _recorder.Observe();
        Assert.Equal(3, Assert.Single(_recorder.Of("usher_pending_requests"), m => m.Labels["version"] == "2").Value);

        pending = 7;
        retired.Dispose();
        _recorder.Clear();
        _recorder.Observe();

        var gauges = _recorder.Measurements.Where(m => m.Instrument != "usher_saturation").ToList();
        Assert.Equal(7, gauges.Count);
        Assert.All(gauges, m => AssertVersionLabels(m));
        Assert.Equal(7, Assert.Single(_recorder.Of("usher_pending_requests")).Value);
        Assert.Equal(7, Assert.Single(_recorder.Of("usher_queue_depth")).Value);
        Assert.Equal(5, Assert.Single(_recorder.Of("usher_in_flight_requests")).Value);
        Assert.Equal(4096, Assert.Single(_recorder.Of("usher_cache_bytes")).Value);
        Assert.Equal(0.5, Assert.Single(_recorder.Of("usher_instance_utilization")).Value);
        Assert.Equal(2, Assert.Single(_recorder.Of("usher_instances")).Value);
        Assert.Equal(0.25, Assert.Single(_recorder.Of("usher_estimated_wait_seconds")).Value);

        // Server-wide, no labels: the retired version's 1.0 is gone, the live one's 0.6 remains.
        var saturation = Assert.Single(_recorder.Of("usher_saturation"));
        Assert.Equal(0.6, saturation.Value);
        Assert.Empty(saturation.Labels);

        live.Dispose();
        _recorder.Clear();
        _recorder.Observe();
        Assert.Equal(0, Assert.Single(_recorder.Measurements).Value);
    }

    [Fact]
    public void Observe_AfterDispose_ReportsNothing()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.Dispose();
        version.Observe(() => 1, () => 1, () => 1, () => new LoadSignals(1, 1, TimeSpan.Zero, 1));

        _recorder.Observe();
        Assert.Equal(0, Assert.Single(_recorder.Of("usher_saturation")).Value);
        Assert.DoesNotContain(_recorder.Measurements, m => m.Instrument != "usher_saturation");
    }

    [Fact]
    public void Histograms_CarryTheDocumentedBucketBoundaries()
    {
        var families = UsherMetrics.Histograms.ToDictionary(f => f.Name);
        Assert.Equal([1.0, 2, 4, 8, 16, 32, 64, 128, 256], families["usher_batch_size"].Bounds);
        foreach (var name in new[] { "usher_request_duration_seconds", "usher_queue_duration_seconds", "usher_compute_duration_seconds", "usher_batch_compute_duration_seconds", "usher_cache_hit_duration_seconds" })
        {
            var bounds = families[name].Bounds;
            Assert.Equal(50e-6, bounds[0]);
            Assert.Equal(10.0, bounds[^1]);
            Assert.True(bounds.Zip(bounds.Skip(1)).All(p => p.First < p.Second), $"{name}: bounds not increasing");
        }

        // The tick bounds the totals count in are the same bounds, exactly.
        Assert.Equal(UsherMetrics.LatencyBuckets.Select(b => (long)(b * 1e7 + 0.5)), VersionTotals.LatencyBounds);
    }

    [Fact]
    public void NoOpMetrics_RecordNothing()
    {
        using var none = new ModelMetrics();
        none.Record(RequestObservation.Failed(FailureReason.Backend));
        none.BatchExecuted(4, TimeSpan.Zero);
        none.Observe(() => 1, () => 1, () => 1, () => new LoadSignals(1, 1, TimeSpan.Zero, 1));
        none.InstancesScaled(up: true);

        _recorder.Observe();
        Assert.DoesNotContain(_recorder.Measurements, m => m.Instrument != "usher_saturation");
    }
}
