using Google.Protobuf;
using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Format;

/// <summary>
/// Reads an ONNX file's graph signature without ONNX Runtime, to explain load failures that ONNX
/// Runtime reports without naming the tensor at fault.
/// </summary>
internal static class OnnxFileInspector
{
    // Protobuf cannot parse a message above 2 GiB; such models keep their weights in external files.
    private const long MaxInspectedBytes = int.MaxValue;

    /// <summary>
    /// Finds the first graph input or output whose element type Usher cannot serve (complex, float8,
    /// int4, ...). False when there is none, or the file cannot be read as an ONNX model.
    /// </summary>
    public static bool TryFindUnservableTensor(string path, out string kind, out string name, out string elementType)
    {
        (kind, name, elementType) = (string.Empty, string.Empty, string.Empty);
        ModelProto model;
        try
        {
            if (new FileInfo(path).Length > MaxInspectedBytes)
            {
                return false;
            }

            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or IOException or UnauthorizedAccessException)
        {
            return false;
        }

        if (model.Graph is null)
        {
            return false;
        }

        foreach (var (tensors, tensorKind) in new[] { (model.Graph.Input, "input"), (model.Graph.Output, "output") })
        {
            foreach (var tensor in tensors)
            {
                if (tensor.Type?.TensorType is { } type && !OnnxElementTypes.TryFromOnnx(type.ElemType, out _))
                {
                    (kind, name, elementType) = (tensorKind, tensor.Name, ElementTypeName(type.ElemType));
                    return true;
                }
            }
        }

        return false;
    }

    private static string ElementTypeName(int code) => code switch
    {
        14 => "COMPLEX64",
        15 => "COMPLEX128",
        17 => "FLOAT8E4M3FN",
        18 => "FLOAT8E4M3FNUZ",
        19 => "FLOAT8E5M2",
        20 => "FLOAT8E5M2FNUZ",
        21 => "UINT4",
        22 => "INT4",
        23 => "FLOAT4E2M1",
        _ => $"code {code}",
    };
}
