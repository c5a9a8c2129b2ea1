using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// A model input or output as a file sees it: per row, <see cref="Width"/> values of
/// <see cref="DataType"/>. A scalar-per-row tensor (shape [N]) is one column; a wider one is
/// <c>name_0</c> ... <c>name_{W-1}</c> in CSV and a list column in Parquet and JSONL.
/// </summary>
/// <param name="Name">The tensor's name as clients use it.</param>
/// <param name="DataType">The element type.</param>
/// <param name="Shape">The full shape, batch dimension first (-1).</param>
/// <param name="Width">Elements per row: the product of the dimensions after the batch one.</param>
internal sealed record BatchTensor(string Name, DataType DataType, long[] Shape, int Width)
{
    /// <summary>True for one value per row (shape [N]).</summary>
    public bool IsScalar => Shape.Length == 1;

    /// <summary>How error messages show it: <c>'features' FP32 [-1,30]</c>.</summary>
    public string Describe() => $"'{Name}' {DataType.ToProtocolName()} {TensorShape.Format(Shape)}";
}
