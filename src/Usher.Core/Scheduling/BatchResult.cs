using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>One request's share of a batch: its outputs (file names) and where its time went.</summary>
/// <param name="Outputs">The outputs, in the order the request asked for them.</param>
/// <param name="Queue">Time from arrival to the start of its batch.</param>
/// <param name="Compute">The batch's run time.</param>
/// <param name="BatchRows">The rows of the batch it ran in.</param>
internal sealed record BatchResult(IReadOnlyList<Tensor> Outputs, TimeSpan Queue, TimeSpan Compute, int BatchRows);
