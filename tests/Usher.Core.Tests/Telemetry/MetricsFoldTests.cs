using System.Diagnostics.Metrics;
using Usher.Core.Telemetry;
using Xunit.Abstractions;

namespace Usher.Core.Tests.Telemetry;

/// <summary>
/// The metrics fold: a request is one observation added to its version's totals, with no
/// System.Diagnostics.Metrics measurement (no tag lookup) on the request path and nothing allocated;
/// the exporter reads the totals at scrape time. docs/benchmarks.md states the budget.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class MetricsFoldTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Recording a request and its batch allocates nothing: below the smallest object.</summary>
    public const long RecordBudget = 8;

    private const int Loops = 2_000;
    private const int Rounds = 5;

    private readonly UsherMetrics _metrics = new();

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public void ARequestAndItsBatch_MakeNoMeasurementOnTheMeter_WhileAListenerWatchesEveryInstrument()
    {
        // The exporter listens to every instrument of the meter; before the fold, one answered
        // request and its batch of one made 8 measurements here (4 per request, 4 per batch).
        var events = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, _metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, _, _, _) => events.Enqueue(i.Name));
        listener.SetMeasurementEventCallback<int>((i, _, _, _) => events.Enqueue(i.Name));
        listener.SetMeasurementEventCallback<double>((i, _, _, _) => events.Enqueue(i.Name));
        listener.Start();
        var version = _metrics.ForVersion("fraud", 2);

        version.BatchExecuted(1, TimeSpan.FromMicroseconds(40));
        version.Record(RequestObservation.Succeeded(TimeSpan.FromMicroseconds(5), TimeSpan.FromMicroseconds(40), TimeSpan.FromMicroseconds(60)));
        version.Record(RequestObservation.Failed(FailureReason.Rejected));

        Assert.Empty(events);
        Assert.Equal(1, version.Totals!.Succeeded);
        Assert.Equal(1, version.Totals.Failures(FailureReason.Rejected));

        // At scrape time the counters are read from the totals: success, failure, inferences, executions.
        listener.RecordObservableInstruments();
        string[] counters = ["usher_inference_request_success", "usher_inference_request_failure", "usher_inference_count", "usher_inference_exec_count"];
        Assert.Equal(counters.Order(StringComparer.Ordinal), events.Where(n => n.StartsWith("usher_inference", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("usher_cache_hits", events); // untouched series stay absent
    }

    [Fact]
    public void RecordingARequestAndItsBatch_AllocatesNothing()
    {
        var version = _metrics.ForVersion("fraud", 2);
        var queue = TimeSpan.FromMicroseconds(5);
        var compute = TimeSpan.FromMicroseconds(40);
        var total = TimeSpan.FromMicroseconds(70);
        version.BatchExecuted(1, compute);
        version.Record(RequestObservation.Succeeded(queue, compute, total));

        var lowest = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Loops; i++)
            {
                version.BatchExecuted(1, compute);
                version.Record(RequestObservation.Succeeded(queue, compute, total));
            }

            lowest = Math.Min(lowest, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Loops);
        }

        output.WriteLine($"record: {lowest:F1} B per request");
        Assert.True(lowest < RecordBudget, $"recording a request allocated {lowest:F1} B; budget {RecordBudget}");
        Assert.Equal(1 + (Rounds * Loops), version.Totals!.Succeeded);
        Assert.Equal(1 + (Rounds * Loops), version.Totals.Executions);
    }

    [Fact]
    public void ConcurrentRecords_AreAllCounted()
    {
        var version = _metrics.ForVersion("fraud", 2);
        const int PerThread = 20_000;

        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                // 0.1 ms or 1 ms: two buckets, a sum computed by hand below.
                version.Record(RequestObservation.Succeeded(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromTicks(i % 2 == 0 ? 1_000 : 10_000)));
            }
        });

        var counts = new long[version.Totals!.RequestDuration.Buckets];
        var sum = version.Totals.RequestDuration.Read(counts);
        Assert.Equal(4 * PerThread, version.Totals.Succeeded);
        Assert.Equal(2 * PerThread, counts[1]); // le="0.0001"
        Assert.Equal(2 * PerThread, counts[4]); // le="0.001"
        Assert.Equal(2L * PerThread * (1_000 + 10_000), sum);
    }
}
