using Usher.Core.Inference;

namespace Usher.Core.Scheduling;

/// <summary>A request waiting in a <see cref="RequestStack"/>, with the scheduling its version read for it, and what its caller awaits.</summary>
internal sealed record StackedRequest(ValidatedRequest Request, int Level, TimeSpan? Timeout, TaskCompletionSource<InferenceResult<BatchResult>> Completion);
