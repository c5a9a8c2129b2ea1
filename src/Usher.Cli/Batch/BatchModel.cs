using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// What a batch job needs to know of the model it scores with: its inputs and outputs per row,
/// the batch size it runs at, and how many batches to keep in flight to use every instance.
/// </summary>
/// <param name="Name">The model's name.</param>
/// <param name="Version">The version that scores.</param>
/// <param name="MaxBatchSize">Rows per batch: the model's <c>max_batch_size</c>.</param>
/// <param name="Inputs">The inputs, in the model's order.</param>
/// <param name="Outputs">The outputs, in the model's order.</param>
/// <param name="InFlight">Batches sent at once: enough to keep every instance busy.</param>
internal sealed record BatchModel(string Name, long Version, int MaxBatchSize, IReadOnlyList<BatchTensor> Inputs, IReadOnlyList<BatchTensor> Outputs, int InFlight)
{
    private static readonly DataType[] Numeric =
    [
        DataType.Bool, DataType.UInt8, DataType.UInt16, DataType.UInt32, DataType.UInt64, DataType.Int8, DataType.Int16,
        DataType.Int32, DataType.Int64, DataType.Fp32, DataType.Fp64,
    ];

    /// <summary>
    /// Builds the view of a batched model with numeric inputs and outputs of fixed width; null with
    /// every problem otherwise (each names the tensor and what batch scoring needs).
    /// </summary>
    public static BatchModel? From(string name, long version, int maxBatchSize, IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs, int inFlight, List<string> problems)
    {
        if (maxBatchSize < 1)
        {
            problems.Add($"model '{name}' version {version} is not batched (max_batch_size 0): batch scoring needs a batch dimension first; set max_batch_size in its config.yaml");
            return null;
        }

        var ins = inputs.Select(s => Tensor(name, "input", s, problems)).ToList();
        var outs = outputs.Select(s => Tensor(name, "output", s, problems)).ToList();
        return problems.Count > 0 ? null : new BatchModel(name, version, maxBatchSize, ins!, outs!, Math.Max(1, inFlight));
    }

    private static BatchTensor? Tensor(string model, string kind, TensorSpec spec, List<string> problems)
    {
        var rest = spec.Shape.AsSpan(1);
        if (!Numeric.Contains(spec.DataType))
        {
            problems.Add($"model '{model}' {kind} '{spec.Name}' is {spec.DataType.ToProtocolName()}: batch scoring reads and writes numbers (BOOL, integers, FP32, FP64)");
            return null;
        }

        foreach (var dim in rest)
        {
            if (dim < 1)
            {
                problems.Add($"model '{model}' {kind} '{spec.Name}' {TensorShape.Format(spec.Shape)} has a variable dimension after the batch one: batch scoring needs a fixed width per row");
                return null;
            }
        }

        var width = checked((int)TensorShape.ElementCount(rest));
        return new BatchTensor(spec.Name, spec.DataType, spec.Shape, width);
    }
}
