using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>Makes ONNX Runtime values over Usher tensors.</summary>
internal static class OrtInputs
{
    // ONNX Runtime wants a non-null pointer even for a tensor of zero elements.
    private static readonly byte[] EmptyBuffer = GC.AllocateArray<byte>(8, pinned: true);

    /// <summary>
    /// A value over <paramref name="tensor"/>. Fixed-size elements are not copied: the tensor's memory
    /// is pinned in <paramref name="pin"/>, which the caller disposes after the value. BYTES elements
    /// are copied into an ONNX Runtime string tensor.
    /// </summary>
    public static unsafe OrtValue Create(Tensor tensor, out MemoryHandle pin)
    {
        if (tensor.DataType == DataType.Bytes)
        {
            pin = default;
            return CreateStrings(tensor);
        }

        var elementType = (TensorElementType)OnnxElementTypes.ToOnnx(tensor.DataType);
        if (tensor.Data.IsEmpty)
        {
            pin = EmptyBuffer.AsMemory().Pin();
        }
        else
        {
            pin = tensor.Data.Pin();
        }

        return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, elementType, tensor.Shape, (IntPtr)pin.Pointer, tensor.Data.Length);
    }

    private static OrtValue CreateStrings(Tensor tensor)
    {
        var elements = tensor.Strings!;
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, tensor.Shape);
        try
        {
            for (var i = 0; i < elements.Length; i++)
            {
                value.StringTensorSetElementAt(elements[i].AsSpan(), i);
            }

            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }
}
