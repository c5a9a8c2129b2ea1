using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends;

/// <summary>
/// The fixed bounds on what a request may declare, checked by every frontend before anything sized by
/// the declaration is allocated (docs/protocol.md, "Limits").
/// </summary>
internal static class RequestLimits
{
    /// <summary>
    /// The most dimensions an input's shape may have. ONNX Runtime's CPU kernels have no fixed rank limit,
    /// but its GPU kernels carry shapes in fixed arrays of 8 dimensions, and real models stay at 1-6.
    /// 64 is NumPy 2's own maximum and the JSON nesting depth the REST reader accepts, so a nested
    /// <c>data</c> array can never be deeper than the shape allows. It also bounds what is kept on the
    /// stack and in recursion per dimension.
    /// </summary>
    public const int MaxDimensions = 64;

    /// <summary>
    /// What one BYTES element costs in memory beyond its bytes: the array object that holds it (a
    /// 24-byte header, rounded up) and the reference to it, on a 64-bit runtime.
    /// </summary>
    public const long BytesElementOverhead = 32;

    /// <summary>An error naming the input when <paramref name="dimensions"/> is more than <see cref="MaxDimensions"/>.</summary>
    public static InferenceError? CheckRank(string inputName, long dimensions)
        => dimensions > MaxDimensions
            ? InferenceError.Invalid(
                $"input '{EchoText.Value(inputName)}': shape has {dimensions} dimensions; at most {MaxDimensions} are supported")
            : null;

    /// <summary>
    /// The bytes a tensor of <paramref name="elementCount"/> elements of <paramref name="type"/> occupies
    /// once decoded; for BYTES, the elements' overhead plus <paramref name="payloadBytes"/> (the bytes the
    /// elements themselves carry, at most the body's size).
    /// </summary>
    public static long DecodedBytes(DataType type, long elementCount, long payloadBytes)
    {
        if (type == DataType.Bytes)
        {
            return elementCount > (long.MaxValue - payloadBytes) / BytesElementOverhead ? long.MaxValue : (elementCount * BytesElementOverhead) + payloadBytes;
        }

        var size = type.ElementSize();
        return elementCount > long.MaxValue / size ? long.MaxValue : elementCount * size;
    }

    /// <summary>
    /// An error naming the input when its decoded size, <see cref="DecodedBytes"/>, is more than
    /// <paramref name="maxTensorBytes"/> (<c>server.max_tensor_bytes</c>).
    /// </summary>
    public static InferenceError? CheckTensorSize(string inputName, DataType type, ReadOnlySpan<long> shape, long decodedBytes, long maxTensorBytes)
        => decodedBytes > maxTensorBytes
            ? InferenceError.Invalid(
                $"input '{EchoText.Value(inputName)}': {type.ToProtocolName()} {TensorShape.Format(shape)} takes {decodedBytes} bytes once decoded"
                + (type == DataType.Bytes ? $" ({BytesElementOverhead} per element plus its bytes)" : string.Empty)
                + $", more than server.max_tensor_bytes ({maxTensorBytes}); send a smaller tensor or raise the limit")
            : null;
}
