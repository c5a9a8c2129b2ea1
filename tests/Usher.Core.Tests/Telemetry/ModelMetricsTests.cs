using System.Diagnostics.Metrics;
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

    [Fact]
    public void RequestFailed_Timeout_AddsOneToFailureCounterWithReasonTimeout()
    {
        _metrics.ForVersion("fraud", 2).RequestFailed(FailureReason.Timeout);

        var failure = Assert.Single(_recorder.Measurements);
        Assert.Equal("usher_inference_request_failure", failure.Instrument);
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
        _metrics.ForVersion("fraud", 2).RequestFailed((FailureReason)reason);

        Assert.Equal(label, Assert.Single(_recorder.Measurements).Labels["reason"]);
    }

    [Fact]
    public void BatchExecuted_OfEight_AddsEightInferencesOneExecutionAndRecordsBatchSizeEight()
    {
        _metrics.ForVersion("fraud", 2).BatchExecuted(8, TimeSpan.FromMilliseconds(3));

        var inferences = Assert.Single(_recorder.Of("usher_inference_count"));
        Assert.Equal(8, inferences.Value);
        var executions = Assert.Single(_recorder.Of("usher_inference_exec_count"));
        Assert.Equal(1, executions.Value);
        var batch = Assert.Single(_recorder.Of("usher_batch_size"));
        Assert.Equal(8, batch.Value);
        var compute = Assert.Single(_recorder.Of("usher_batch_compute_duration_seconds"));
        Assert.Equal(0.003, compute.Value, 9);
        Assert.Empty(_recorder.Of("usher_compute_duration_seconds"));
        Assert.All(_recorder.Measurements, m => AssertVersionLabels(m));
        Assert.Empty(_recorder.Of("usher_inference_request_success"));
    }

    [Fact]
    public void RequestSucceeded_RecordsDurationsInSecondsAndOneSuccess()
    {
        _metrics.ForVersion("fraud", 2).RequestSucceeded(
            queue: TimeSpan.FromMilliseconds(1.5), compute: TimeSpan.FromMilliseconds(4), total: TimeSpan.FromMilliseconds(6));

        Assert.Equal(1, Assert.Single(_recorder.Of("usher_inference_request_success")).Value);
        Assert.Equal(0.0015, Assert.Single(_recorder.Of("usher_queue_duration_seconds")).Value, 9);
        Assert.Equal(0.004, Assert.Single(_recorder.Of("usher_compute_duration_seconds")).Value, 9);
        Assert.Equal(0.006, Assert.Single(_recorder.Of("usher_request_duration_seconds")).Value, 9);
        Assert.All(_recorder.Measurements, m => AssertVersionLabels(m));
    }

    [Fact]
    public void CacheHitAndMiss_CountSeparatelyAndTimeTheHit()
    {
        var version = _metrics.ForVersion("fraud", 2);
        version.CacheHit(TimeSpan.FromMicroseconds(80));
        version.CacheMiss();
        version.CacheMiss();

        Assert.Equal(1, Assert.Single(_recorder.Of("usher_cache_hits")).Value);
        Assert.Equal(2, _recorder.Of("usher_cache_misses").Count);
        Assert.Equal(0.00008, Assert.Single(_recorder.Of("usher_cache_hit_duration_seconds")).Value, 9);
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
        var advice = new Dictionary<string, object?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, _metrics.Meter))
                {
                    advice[instrument.Name] = instrument switch
                    {
                        Histogram<int> h => h.Advice?.HistogramBucketBoundaries,
                        Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
                        _ => null,
                    };
                }
            },
        };
        listener.Start();

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256], (IReadOnlyList<int>)advice["usher_batch_size"]!);
        foreach (var name in new[] { "usher_request_duration_seconds", "usher_queue_duration_seconds", "usher_compute_duration_seconds", "usher_batch_compute_duration_seconds", "usher_cache_hit_duration_seconds" })
        {
            var bounds = (IReadOnlyList<double>)advice[name]!;
            Assert.Equal(50e-6, bounds[0]);
            Assert.Equal(10.0, bounds[^1]);
            Assert.True(bounds.Zip(bounds.Skip(1)).All(p => p.First < p.Second), $"{name}: bounds not increasing");
        }
    }

    [Fact]
    public void NoOpMetrics_RecordNothing()
    {
        using var none = new ModelMetrics();
        none.RequestFailed(FailureReason.Backend);
        none.BatchExecuted(4, TimeSpan.Zero);
        none.Observe(() => 1, () => 1, () => 1, () => new LoadSignals(1, 1, TimeSpan.Zero, 1));
        none.InstancesScaled(up: true);

        _recorder.Observe();
        Assert.DoesNotContain(_recorder.Measurements, m => m.Instrument != "usher_saturation");
    }
}
