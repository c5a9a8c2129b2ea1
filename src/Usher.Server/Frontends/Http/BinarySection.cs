using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The binary part of a request body after the JSON header (protocol §5): the blobs of the inputs
/// that carry <c>binary_data_size</c>, in input order. Inputs take their bytes as slices of the body,
/// without a copy.
/// </summary>
internal sealed class BinarySection
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private int _offset;

    private BinarySection(ReadOnlyMemory<byte> bytes, bool present)
    {
        _bytes = bytes;
        IsPresent = present;
    }

    /// <summary>A request without the <c>Inference-Header-Content-Length</c> header: no input may be binary.</summary>
    public static BinarySection None { get; } = new(ReadOnlyMemory<byte>.Empty, present: false);

    /// <summary>True when the request declared a JSON header length, so binary inputs may follow it.</summary>
    public bool IsPresent { get; }

    public static BinarySection Of(ReadOnlyMemory<byte> bytes) => new(bytes, present: true);

    /// <summary>Takes the next input's bytes and decodes them as a tensor of <paramref name="type"/> and <paramref name="shape"/>.</summary>
    public InferenceResult<Tensor> Take(string name, DataType type, long[] shape, long elementCount, object sizeParameter, RequestMemory memory)
    {
        var owner = $"input '{EchoText.Value(name)}'";
        if (!IsPresent)
        {
            return InferenceError.Invalid(
                $"{owner} has parameters.binary_data_size, but the request has no Inference-Header-Content-Length header; send the JSON header's length in it");
        }

        if (sizeParameter is not long size || size < 0)
        {
            return InferenceError.Invalid($"{owner}: binary_data_size must be a non-negative integer, got {sizeParameter}");
        }

        var remaining = _bytes.Length - _offset;
        if (size > remaining)
        {
            return InferenceError.Invalid(
                $"{owner}: binary_data_size is {size}, but only {remaining} bytes of binary data remain after the JSON header and the inputs before it");
        }

        var slice = _bytes.Slice(_offset, (int)size);
        _offset += (int)size;
        if (type == DataType.Bytes)
        {
            // The elements are copied out of the body: each an array of its own.
            var decoded = RequestLimits.DecodedBytes(type, elementCount, size);
            if (memory.ReserveTensor(name, type, shape, decoded, decoded) is { } refused)
            {
                return refused;
            }

            var elements = BytesElements.Read(slice.Span, elementCount, owner);
            return elements.IsSuccess ? InferenceResult<Tensor>.Success(Tensor.FromStrings(name, shape, elements.Value)) : elements.Error;
        }

        var expected = elementCount * type.ElementSize();
        if (size != expected)
        {
            return InferenceError.Invalid($"{owner}: {type.ToProtocolName()} {TensorShape.Format(shape)} needs {expected} bytes, but binary_data_size is {size}");
        }

        // A slice of the body, whose bytes are already reserved: nothing more is allocated.
        if (memory.ReserveTensor(name, type, shape, expected, 0) is { } tooLarge)
        {
            return tooLarge;
        }

        return InferenceResult<Tensor>.Success(Tensor.FromBytes(name, type, shape, slice));
    }

    /// <summary>An error when bytes are left over after every binary input took its share.</summary>
    public InferenceError? CheckConsumed()
        => IsPresent && _offset != _bytes.Length
            ? InferenceError.Invalid(
                $"the body has {_bytes.Length} bytes after the JSON header, but the inputs' binary_data_size add up to {_offset}; make Inference-Header-Content-Length the JSON header's length and the sizes match the blobs")
            : null;
}
