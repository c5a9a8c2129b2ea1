using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// The same job without a model: every batch is answered at once with zeros of the outputs'
/// shapes. What is left is reading, mapping, batching and writing: the I/O limit that the
/// benchmarks compare a real run with.
/// </summary>
internal sealed class PassThroughScorer(BatchModel model) : IBatchScorer
{
    /// <inheritdoc />
    public BatchModel Model { get; } = model;

    /// <inheritdoc />
    public ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
    {
        var outputs = new Tensor[Model.Outputs.Count];
        for (var i = 0; i < outputs.Length; i++)
        {
            var spec = Model.Outputs[i];
            long[] shape = spec.IsScalar ? [rows] : [rows, .. spec.Shape.AsSpan(1)];
            outputs[i] = Tensor.FromBytes(spec.Name, spec.DataType, shape, new byte[(long)rows * spec.Width * spec.DataType.ElementSize()]);
        }

        return ValueTask.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success(outputs));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
