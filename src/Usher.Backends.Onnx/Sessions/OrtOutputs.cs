using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>Copies ONNX Runtime output values into Usher tensors.</summary>
internal static class OrtOutputs
{
    /// <summary>A new tensor named <paramref name="name"/> holding a copy of <paramref name="value"/>.</summary>
    /// <exception cref="InvalidOperationException">When the value is not a tensor of a type Usher serves.</exception>
    public static Tensor Read(string name, OrtValue value)
    {
        if (!value.IsTensor)
        {
            throw new InvalidOperationException($"output '{name}' is a {value.OnnxType}, not a tensor; Usher serves tensor outputs only");
        }

        var info = value.GetTensorTypeAndShape();
        if (!OnnxElementTypes.TryFromOnnx((int)info.ElementDataType, out var dataType))
        {
            throw new InvalidOperationException($"output '{name}' has element type {info.ElementDataType}, which Usher cannot serve; cast it in the model");
        }

        var shape = info.Shape;
        if (dataType != DataType.Bytes)
        {
            return Tensor.FromBytes(name, dataType, shape, value.GetTensorMutableRawData().ToArray());
        }

        var elements = new byte[checked((int)info.ElementCount)][];
        for (var i = 0; i < elements.Length; i++)
        {
            elements[i] = value.GetStringElementAsSpan(i).ToArray();
        }

        return Tensor.FromStrings(name, shape, elements);
    }
}
