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
    /// Scores <paramref name="inputs"/> (one tensor per model input, <paramref name="rows"/> rows each)
    /// and returns one tensor per model output, in the model's order; expected failures are values.
    /// </summary>
    ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken);
}
