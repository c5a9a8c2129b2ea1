using Usher.Core.Tensors;

namespace Usher.Core.Models;

/// <summary>
/// An input or output entry of <c>config.yaml</c>: names a tensor of the model and optionally
/// declares its datatype and dims (checked against the model at load), or renames it for clients.
/// </summary>
/// <param name="Name">The tensor's name in the model file.</param>
/// <param name="DataType">The declared datatype, or null to take the model's.</param>
/// <param name="Dims">The declared dims without the batch dimension (-1 = variable), or null to take the model's.</param>
/// <param name="Alias">The name clients use instead of <paramref name="Name"/>, or null.</param>
internal sealed record TensorOverride(string Name, DataType? DataType = null, long[]? Dims = null, string? Alias = null);
