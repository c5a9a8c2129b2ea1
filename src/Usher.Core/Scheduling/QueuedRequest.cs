using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Usher.Core.Inference;
using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

/// <summary>
/// One request waiting in a batcher's queue. Guarded by the batcher's lock. It is its own
/// completion (an <see cref="IValueTaskSource{TResult}"/>): a queued request costs no
/// <c>TaskCompletionSource</c> and no <c>Task</c>, and one run on its caller's thread is never awaited
/// at all (<see cref="Result"/> is read once it is finished).
/// </summary>
internal sealed class QueuedRequest : IValueTaskSource<InferenceResult<BatchResult>>
{
    // Continuations run on the thread pool unless the finisher asks otherwise: the executor that
    // finishes a batch must not write its callers' responses on its own thread while requests wait
    // for its instance (see DynamicBatcher's executor loop).
    private ManualResetValueTaskSourceCore<InferenceResult<BatchResult>> _completion = new() { RunContinuationsAsynchronously = true };
    private int _finished;

    public QueuedRequest(ValidatedRequest request, int level, long enqueuedAt, long bytes)
    {
        Request = request;
        Level = level;
        EnqueuedAt = enqueuedAt;
        Bytes = bytes;
        Rows = BatchAssembler.Rows(request);
    }

    public ValidatedRequest Request { get; }

    /// <summary>The span of the request that queued it (read where it was queued), while Usher's spans are listened to; otherwise null.</summary>
    public Activity? Span { get; } = UsherActivities.Ambient;

    /// <summary>The priority level, 1 = highest.</summary>
    public int Level { get; }

    /// <summary>TimeProvider timestamp of arrival.</summary>
    public long EnqueuedAt { get; }

    /// <summary>Input bytes reserved against the memory budget.</summary>
    public long Bytes { get; }

    /// <summary>Rows this request contributes to a batch (its own batch size).</summary>
    public int Rows { get; }

    /// <summary>When it must have started running, or null.</summary>
    public long? Deadline { get; set; }

    /// <summary>Its queue timeout passed under timeout_action DELAY: it runs after everything else.</summary>
    public bool Delayed { get; set; }

    public LinkedListNode<QueuedRequest>? Node { get; set; }

    public ITimer? Timer { get; set; }

    public CancellationTokenRegistration Cancellation { get; set; }

    /// <summary>The outcome once <see cref="Finish"/> has run; read by a caller that ran it inline.</summary>
    public InferenceResult<BatchResult> Result { get; private set; }

    /// <summary>What the caller awaits: completes when <see cref="Finish"/> runs (awaited once).</summary>
    public ValueTask<InferenceResult<BatchResult>> Completion => new(this, _completion.Version);

    /// <summary>
    /// Sets the outcome; the batcher calls it exactly once (whoever detached the request). With <paramref name="continueHere"/> the caller's continuation runs on this
    /// thread before the call returns (no thread-pool work item), otherwise it is queued to the pool.
    /// </summary>
    public void Finish(InferenceResult<BatchResult> result, bool continueHere)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        Result = result;
        _completion.RunContinuationsAsynchronously = !continueHere;
        _completion.SetResult(result);
    }

    InferenceResult<BatchResult> IValueTaskSource<InferenceResult<BatchResult>>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<InferenceResult<BatchResult>>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<InferenceResult<BatchResult>>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _completion.OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// The one rule of which requests may run in one batch (the batcher's queue and a
    /// <see cref="RequestStack"/> both ask it): the same non-batch dims of each input and the same
    /// outputs; a request without a batch dimension goes only with another without one.
    /// </summary>
    internal static bool CanBatchTogether(ValidatedRequest a, ValidatedRequest b)
    {
        if (a.BatchSize == 0 || b.BatchSize == 0)
        {
            return a.BatchSize == b.BatchSize;
        }

        if (a.Inputs.Count != b.Inputs.Count || a.OutputFileNames.Count != b.OutputFileNames.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Inputs.Count; i++)
        {
            if (!a.Inputs[i].Shape.AsSpan(1).SequenceEqual(b.Inputs[i].Shape.AsSpan(1)))
            {
                return false;
            }
        }

        for (var i = 0; i < a.OutputFileNames.Count; i++)
        {
            if (!string.Equals(a.OutputFileNames[i], b.OutputFileNames[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
