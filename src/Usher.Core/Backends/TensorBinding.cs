using Usher.Core.Tensors;

namespace Usher.Core.Backends;

/// <summary>One tensor bound to a fixed buffer by <see cref="IDirectRunSource.CreateDirectRunner"/>.</summary>
/// <param name="Name">The tensor's name in the model file.</param>
/// <param name="DataType">Its element type (fixed-size types only).</param>
/// <param name="Shape">Its concrete shape (no -1).</param>
internal sealed record TensorBinding(string Name, DataType DataType, long[] Shape);
