using Usher.Core.Inference;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>
/// Runs formed batches on the backend for a batcher: concatenates the inputs, runs, splits the
/// outputs back, records the batch's metrics and what the latency model learns, and finishes each
/// request exactly once (releasing its bytes from the memory budget).
/// </summary>
internal sealed class BatchRunner(
    Func<IReadOnlyList<Tensor>, IReadOnlyList<string>, IReadOnlyList<Tensor>> run,
    string label,
    ModelMetrics metrics,
    MemoryBudget budget,
    TimeProvider time,
    ExecutionTimeModel executionTime,
    InstanceLoad load)
{
    public void Execute(List<QueuedRequest> batch)
    {
        var rows = 0;
        foreach (var item in batch)
        {
            rows += item.Rows;
        }

        // A request's queue time ends when its batch is taken; compute (Server-Timing's "compute",
        // the batch histogram, the latency model) is the backend call alone: concatenating the
        // inputs and splitting the outputs are the server's own work, which Server-Timing counts
        // as overhead.
        var taken = time.GetTimestamp();
        var start = taken;
        var end = taken;
        IReadOnlyList<Tensor>[] split;
        try
        {
            var inputs = BatchAssembler.Concatenate(batch);
            start = time.GetTimestamp();
            var outputs = run(inputs, batch[0].Request.OutputFileNames);
            end = time.GetTimestamp();
            split = BatchAssembler.Split(batch, outputs, rows);
        }
#pragma warning disable CA1031 // a backend failure fails this batch only; the version keeps serving
        catch (Exception ex)
#pragma warning restore CA1031
        {
            load.BatchRan(batch.Count, time.GetTimestamp() - start);
            var message = $"{label} failed to run a batch of {rows}: {ex.Message}";
            if (UsherActivities.Tracing)
            {
                BatchTrace.Record(batch, rows, start, time.GetTimestamp(), time, message);
            }

            foreach (var item in batch)
            {
                Finish(item, InferenceError.Internal(message));
            }

            return;
        }

        if (UsherActivities.Tracing)
        {
            BatchTrace.Record(batch, rows, start, end, time, error: null);
        }

        load.BatchRan(batch.Count, end - start);
        var compute = Elapsed(start, end);
        executionTime.Record(rows, compute);
        metrics.BatchExecuted(rows, compute);
        for (var i = 0; i < batch.Count; i++)
        {
            Finish(batch[i], InferenceResult<BatchResult>.Success(new BatchResult(split[i], Elapsed(batch[i].EnqueuedAt, taken), compute, rows)));
        }
    }

    public static long InputBytes(ValidatedRequest request)
    {
        long bytes = 0;
        foreach (var input in request.Inputs)
        {
            bytes += input.DataType == DataType.Bytes ? input.Strings!.Sum(s => (long)s.Length + 4) : input.Data.Length;
        }

        return bytes;
    }

    // Outside the lock, exactly once per request: whoever detached it finishes it.
    public void Finish(QueuedRequest item, InferenceResult<BatchResult> result)
    {
        item.Timer?.Dispose();
        item.Cancellation.Dispose();
        budget.Release(item.Bytes);
        item.Finish(result);
    }

    public TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((double)(to - from) / time.TimestampFrequency);
}
