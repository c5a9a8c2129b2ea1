using System.Buffers;
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
    public void Execute(List<QueuedRequest> batch) => Execute(batch, holdLast: false);

    /// <summary>
    /// Runs <paramref name="batch"/> and finishes its requests. With <paramref name="holdLast"/> the
    /// last request is released (its timer, cancellation and bytes) but not completed: it is returned
    /// with its outcome, for the caller to complete with <see cref="Complete"/> once it has given its
    /// instance back.
    /// </summary>
    public (QueuedRequest Item, InferenceResult<BatchResult> Result)? Execute(List<QueuedRequest> batch, bool holdLast)
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
        byte[][]? rented = null;
        IReadOnlyList<Tensor>? outputs = null;
        try
        {
            var inputs = BatchAssembler.Concatenate(batch, ArrayPool<byte>.Shared, out rented);

            // A batch of one is its request's inputs (nothing concatenated): the run starts when it is taken.
            start = batch.Count == 1 ? taken : time.GetTimestamp();
            outputs = run(inputs, batch[0].Request.OutputFileNames);
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

            return null;
        }
        finally
        {
            // The backend has copied what it needs from the inputs by the time it returns.
            BatchAssembler.Return(ArrayPool<byte>.Shared, rented, outputs);
        }

        if (UsherActivities.Tracing)
        {
            BatchTrace.Record(batch, rows, start, end, time, error: null);
        }

        load.BatchRan(batch.Count, end - start);
        var compute = Elapsed(start, end);
        executionTime.Record(rows, compute);
        metrics.BatchExecuted(rows, compute);
        var finished = holdLast ? batch.Count - 1 : batch.Count;
        for (var i = 0; i < finished; i++)
        {
            Finish(batch[i], InferenceResult<BatchResult>.Success(new BatchResult(split[i], Elapsed(batch[i].EnqueuedAt, taken), compute, rows)));
        }

        if (!holdLast)
        {
            return null;
        }

        var last = batch[^1];
        Release(last);
        return (last, InferenceResult<BatchResult>.Success(new BatchResult(split[^1], Elapsed(last.EnqueuedAt, start), compute, rows)));
    }

    /// <summary>Completes a request that <see cref="Execute(List{QueuedRequest}, bool)"/> held, its continuation on this thread or not.</summary>
    public static void Complete(QueuedRequest item, InferenceResult<BatchResult> result, bool continueHere) => item.Finish(result, continueHere);

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
        Release(item);
        item.Finish(result, continueHere: false);
    }

    private void Release(QueuedRequest item)
    {
        item.Timer?.Dispose();
        item.Cancellation.Dispose();
        budget.Release(item.Bytes);
    }

    public TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((double)(to - from) / time.TimestampFrequency);
}
