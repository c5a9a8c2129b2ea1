using System.Diagnostics;
using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

/// <summary>
/// The spans of one batch, recorded once it has run (docs/observability.md): a <c>usher.batch</c>
/// span, child of the first traced request and linked to the span of every traced request in it;
/// for each traced request a <c>usher.queue</c> span (arrival to the batch's start) and a
/// <c>usher.compute</c> span (the batch's run) linked to the batch. Called only while Usher's spans
/// are listened to; requests queued without a span (<see cref="QueuedRequest.Span"/>) get none.
/// </summary>
internal static class BatchTrace
{
    public static void Record(List<QueuedRequest> batch, int rows, long start, long end, TimeProvider time, string? error)
    {
        List<ActivityLink>? links = null;
        foreach (var item in batch)
        {
            if (item.Span is { } span)
            {
                (links ??= new List<ActivityLink>(batch.Count)).Add(new ActivityLink(span.Context));
            }
        }

        if (links is null)
        {
            return;
        }

        // Timestamps of the scheduling clock become wall-clock times by their distance from now.
        var nowTicks = time.GetTimestamp();
        var now = time.GetUtcNow();
        var ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / time.TimestampFrequency;
        DateTimeOffset Wall(long timestamp) => now - TimeSpan.FromTicks((long)Math.Round((nowTicks - timestamp) * ticksPerTimestamp));

        var batchStart = Wall(start);
        var batchEnd = Wall(end);
        var batchSpan = UsherActivities.Record(
            UsherActivities.Batch,
            links[0].Context,
            batchStart,
            batchEnd,
            [new("usher.batch.size", rows), new("usher.batch.requests", batch.Count)],
            links,
            error);
        ActivityLink[]? toBatch = batchSpan is null ? null : [new ActivityLink(batchSpan.Context)];
        foreach (var item in batch)
        {
            if (item.Span is not { } span)
            {
                continue;
            }

            UsherActivities.Record(UsherActivities.Queue, span.Context, Wall(item.EnqueuedAt), batchStart);
            UsherActivities.Record(UsherActivities.Compute, span.Context, batchStart, batchEnd, [new("usher.batch.size", rows)], toBatch, error);
        }
    }
}
