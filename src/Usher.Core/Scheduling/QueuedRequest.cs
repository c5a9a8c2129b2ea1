using System.Diagnostics;
using System.Text;
using Usher.Core.Inference;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>One request waiting in a batcher's queue. Guarded by the batcher's lock.</summary>
internal sealed class QueuedRequest
{
    public QueuedRequest(ValidatedRequest request, int level, long enqueuedAt, long bytes)
    {
        Request = request;
        Level = level;
        EnqueuedAt = enqueuedAt;
        Bytes = bytes;
        Rows = Math.Max(1, request.BatchSize);
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

    /// <summary>Requests batch together only when their keys are equal: same non-batch dims, same outputs.</summary>
    /// <remarks>Built when a batch is first formed with the request: a request run alone never needs it.</remarks>
    public string CompatibilityKey => field ??= Key(Request);

    /// <summary>When it must have started running, or null.</summary>
    public long? Deadline { get; set; }

    /// <summary>Its queue timeout passed under timeout_action DELAY: it runs after everything else.</summary>
    public bool Delayed { get; set; }

    public LinkedListNode<QueuedRequest>? Node { get; set; }

    public ITimer? Timer { get; set; }

    public CancellationTokenRegistration Cancellation { get; set; }

    public TaskCompletionSource<InferenceResult<BatchResult>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Key(ValidatedRequest request)
    {
        if (request.BatchSize == 0)
        {
            return string.Empty;
        }

        var key = new StringBuilder();
        foreach (var input in request.Inputs)
        {
            key.Append(TensorShape.Format(input.Shape.AsSpan(1))).Append('|');
        }

        foreach (var output in request.OutputFileNames)
        {
            key.Append(output).Append('|');
        }

        return key.ToString();
    }
}
