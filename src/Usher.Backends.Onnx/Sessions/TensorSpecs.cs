using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>Reads a session's input and output declarations as Usher tensor specs.</summary>
internal static class TensorSpecs
{
    /// <summary>
    /// The specs of <paramref name="names"/>, in the file's order. Dynamic and symbolic dims become
    /// -1; a scalar gets an empty shape.
    /// </summary>
    /// <exception cref="ModelLoadException">When a tensor is not a tensor, or of a type Usher cannot serve.</exception>
    public static TensorSpec[] Read(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata, string kind, string label)
    {
        var specs = new TensorSpec[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            var node = metadata[name];
            if (!node.IsTensor)
            {
                throw new ModelLoadException($"{label}: {kind} '{name}' is a {node.OnnxValueType}; Usher serves tensors only, so change the model to take or return tensors");
            }

            var code = (int)node.ElementDataType;
            if (!OnnxElementTypes.TryFromOnnx(code, out var dataType))
            {
                throw new ModelLoadException(UnservableMessage(label, kind, name, node.ElementDataType.ToString()));
            }

            var dims = node.Dimensions;
            var shape = new long[dims.Length];
            for (var d = 0; d < dims.Length; d++)
            {
                shape[d] = dims[d] < 0 ? -1 : dims[d];
            }

            specs[i] = new TensorSpec(name, dataType, shape);
        }

        return specs;
    }

    /// <summary>The message for a tensor whose element type Usher has no datatype for.</summary>
    public static string UnservableMessage(string label, string kind, string name, string elementType)
        => $"{label}: {kind} '{name}' has element type {elementType}, which Usher cannot serve " +
           $"(supported: {string.Join(", ", DataTypes.ProtocolNames)}); cast it to a supported type in the model";
}
