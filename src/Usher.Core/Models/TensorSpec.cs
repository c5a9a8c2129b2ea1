using Usher.Core.Tensors;

namespace Usher.Core.Models;

/// <summary>
/// The declared name, type and shape of a model input or output. <see cref="Shape"/> is the full
/// shape the client sends or receives: for a batched model it starts with the -1 batch dimension.
/// -1 marks a variable dimension.
/// </summary>
/// <param name="Name">The tensor's name as clients use it.</param>
/// <param name="DataType">The element type.</param>
/// <param name="Shape">The shape with -1 for variable dimensions; empty for a scalar.</param>
internal sealed record TensorSpec(string Name, DataType DataType, long[] Shape);
