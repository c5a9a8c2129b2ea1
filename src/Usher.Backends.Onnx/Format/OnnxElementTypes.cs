using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Format;

/// <summary>
/// Maps Usher datatypes to ONNX <c>TensorProto.DataType</c> codes and back. ONNX Runtime's
/// <c>TensorElementType</c> uses the same codes, so the backend maps through this table too.
/// </summary>
internal static class OnnxElementTypes
{
    // Indexed by DataType; the values are the public ONNX TensorProto.DataType codes.
    private static readonly int[] Codes =
    [
        9,  // Bool → BOOL
        2,  // UInt8 → UINT8
        4,  // UInt16 → UINT16
        12, // UInt32 → UINT32
        13, // UInt64 → UINT64
        3,  // Int8 → INT8
        5,  // Int16 → INT16
        6,  // Int32 → INT32
        7,  // Int64 → INT64
        10, // Fp16 → FLOAT16
        16, // Bf16 → BFLOAT16
        1,  // Fp32 → FLOAT
        11, // Fp64 → DOUBLE
        8,  // Bytes → STRING
    ];

    /// <summary>The ONNX code of an Usher datatype.</summary>
    public static int ToOnnx(DataType dataType) => (uint)dataType < (uint)Codes.Length
        ? Codes[(int)dataType]
        : throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "unknown datatype");

    /// <summary>The Usher datatype of an ONNX code; false for codes Usher cannot serve (complex, float8, int4, ...).</summary>
    public static bool TryFromOnnx(int code, out DataType dataType)
    {
        var index = Array.IndexOf(Codes, code);
        dataType = index < 0 ? default : (DataType)index;
        return index >= 0;
    }
}
