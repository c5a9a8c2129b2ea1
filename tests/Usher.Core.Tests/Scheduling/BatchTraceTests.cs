using System.Diagnostics;
using Usher.Core.Telemetry;
using Usher.Core.Tests.Telemetry;

namespace Usher.Core.Tests.Scheduling;

/// <summary>The spans a batch records: one batch span linked to its requests, and each request's queue wait and compute.</summary>
[Collection(TracingCollection.Name)]
public sealed class BatchTraceTests
{
    [Fact]
    public async Task ABatchOfThree_RecordsOneBatchSpanLinkedToEachRequest_AndEachRequestsQueueAndCompute()
    {
        using var spans = new SpanRecorder();
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 1_000_000, preferred: [3])) { ComputePerRow = TimeSpan.FromMilliseconds(2) };

        // Three requests, 1 ms of fake time apart; the third fills the preferred size and the batch runs.
        var requests = new List<Activity>();
        var pending = new List<Task<Core.Inference.InferenceResult<Core.Scheduling.BatchResult>>>();
        for (var i = 0; i < 3; i++)
        {
            if (i > 0)
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(1));
            }

            var request = spans.StartRequest("request " + i);
            pending.Add(h.Enqueue(BatcherHarness.Request(1, start: i)));
            request.Stop();
            requests.Add(request);
        }

        foreach (var result in await Task.WhenAll(pending))
        {
            Assert.True(result.IsSuccess);
        }

        Assert.Equal([3], h.Batches);
        var batch = Assert.Single(spans.Spans, s => s.OperationName == UsherActivities.Batch);
        Assert.Equal(requests[0].TraceId, batch.TraceId);
        Assert.Equal(requests[0].SpanId, batch.ParentSpanId);
        Assert.Equal(requests.Select(r => (r.TraceId, r.SpanId)), batch.Links.Select(l => (l.Context.TraceId, l.Context.SpanId)));
        Assert.Equal(3, batch.GetTagItem("usher.batch.size"));

        // The batch ran 3 rows at 2 ms of fake time a row; it started when the third arrived.
        Assert.Equal(TimeSpan.FromMilliseconds(6), batch.Duration);
        for (var i = 0; i < 3; i++)
        {
            var queue = Assert.Single(spans.Spans, s => s.OperationName == UsherActivities.Queue && s.ParentSpanId == requests[i].SpanId);
            Assert.Equal(requests[i].TraceId, queue.TraceId);
            var waited = TimeSpan.FromMilliseconds(2 - i);
            Assert.Equal(batch.StartTimeUtc - waited, queue.StartTimeUtc);

            // Activity gives a span that takes no time one tick.
            Assert.Equal(waited == TimeSpan.Zero ? TimeSpan.FromTicks(1) : waited, queue.Duration);

            var compute = Assert.Single(spans.Spans, s => s.OperationName == UsherActivities.Compute && s.ParentSpanId == requests[i].SpanId);
            Assert.Equal((batch.StartTimeUtc, batch.Duration), (compute.StartTimeUtc, compute.Duration));
            var link = Assert.Single(compute.Links);
            Assert.Equal((batch.TraceId, batch.SpanId), (link.Context.TraceId, link.Context.SpanId));
            Assert.Equal(ActivityStatusCode.Unset, compute.Status);
        }
    }

    [Fact]
    public async Task ABatchTheBackendFails_MarksTheBatchAndEachComputeSpanFailed()
    {
        using var spans = new SpanRecorder();
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 1_000_000, preferred: [2])) { FailNext = new InvalidOperationException("boom") };
        var first = spans.StartRequest("a");
        var a = h.Enqueue(BatcherHarness.Request(1));
        first.Stop();
        var second = spans.StartRequest("b");
        var b = h.Enqueue(BatcherHarness.Request(1));
        second.Stop();

        Assert.All(await Task.WhenAll(a, b), r => Assert.False(r.IsSuccess));
        var batch = Assert.Single(spans.Spans, s => s.OperationName == UsherActivities.Batch);
        Assert.Equal(ActivityStatusCode.Error, batch.Status);
        Assert.Contains("boom", batch.StatusDescription, StringComparison.Ordinal);
        Assert.Equal(2, batch.Links.Count());
        Assert.All(spans.Spans.Where(s => s.OperationName == UsherActivities.Compute), c => Assert.Equal(ActivityStatusCode.Error, c.Status));
        Assert.Equal(2, spans.Spans.Count(s => s.OperationName == UsherActivities.Compute));
    }

    [Fact]
    public async Task WithoutAListener_ARequestsSpanIsNotCaptured_AndNoSpanIsRecorded()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 1_000_000, preferred: [1]));
        using var request = new Activity("request").Start();

        Assert.False(UsherActivities.Tracing);
        Assert.Null(UsherActivities.Ambient);
        Assert.True((await h.Enqueue(BatcherHarness.Request(1))).IsSuccess);
    }
}
