using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// Runs one batch of rows through a model: in this process on the server's own pipeline
/// (<see cref="InProcessScorer"/>), on a running server over gRPC (<see cref="GrpcScorer"/>), or
/// not at all (<see cref="PassThroughScorer"/>, the I/O limit of the benchmarks).
/// </summary>
internal interface IBatchScorer : IAsyncDisposable
{
    /// <summary>The model's inputs, outputs and batch size.</summary>
    BatchModel Model { get; }

    /// <summary>
    /// The model's instances as threads that run batches straight into the caller's buffers, when this scorer
    /// and the model offer them (in process, one input and one output); null to score through <see cref="ScoreAsync"/>.
    /// </summary>
    DirectBatchWorkers? Direct => null;

    /// <summary>
    /// Scores <paramref name="inputs"/> (one tensor per model input, <paramref name="rows"/> rows each)
    /// and returns one tensor per model output, in the model's order; expected failures are values.
    /// </summary>
    ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken);
}
