using System.Threading.Tasks.Sources;
using Usher.Core.Inference;

namespace Usher.Core.Scheduling;

/// <summary>
/// A request waiting in a <see cref="RequestStack"/>, with the scheduling its version read for it. It
/// is its own completion (an <see cref="IValueTaskSource{TResult}"/>, as <see cref="QueuedRequest"/>
/// is): a stacked request costs no <c>TaskCompletionSource</c> and no <c>Task</c>.
/// </summary>
internal sealed class StackedRequest(ValidatedRequest request, int level, TimeSpan? timeout) : IValueTaskSource<InferenceResult<BatchResult>>
{
    // Continuations run on the thread that completes them (the one that ran the stack): the
    // responses are written there, one after another, instead of each waiting for a pool thread.
    private ManualResetValueTaskSourceCore<InferenceResult<BatchResult>> _completion;

    public ValidatedRequest Request { get; } = request;

    public int Level { get; } = level;

    public TimeSpan? Timeout { get; } = timeout;

    /// <summary>What the caller awaits (once): completes when <see cref="Finish"/> runs.</summary>
    public ValueTask<InferenceResult<BatchResult>> Completion => new(this, _completion.Version);

    /// <summary>Sets the outcome; the stack calls it exactly once.</summary>
    public void Finish(InferenceResult<BatchResult> result) => _completion.SetResult(result);

    InferenceResult<BatchResult> IValueTaskSource<InferenceResult<BatchResult>>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<InferenceResult<BatchResult>>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<InferenceResult<BatchResult>>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _completion.OnCompleted(continuation, state, token, flags);
}
