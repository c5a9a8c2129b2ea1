using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Turns an input's <c>data</c> (protocol §2.9: flat, or nested to match the shape) into a
/// <see cref="Tensor"/>, converting each element exactly to the input's datatype. Integers never
/// pass through a double, and a value outside the type's range is an error, never clamped or
/// turned into infinity; decimal numbers round once to the nearest value of a floating-point type.
/// </summary>
/// <remarks>
/// Streaming, in two passes over the data's UTF-8 text: the first checks its layout against the
/// shape (counting, allocating nothing); then the tensor's buffer, sized from the declared shape and
/// datatype and reserved against the request's memory first, is filled element by element straight
/// from the text. No document, no string and no boxed value per element.
/// </remarks>
internal static class JsonTensorDataReader
{
    private enum Layout
    {
        /// <summary>A rank-0 tensor written as the bare value.</summary>
        Bare,
        Flat,
        Nested,
    }

    /// <summary>
    /// Reads <paramref name="data"/> for input <paramref name="name"/>, whose shape is already known to
    /// hold <paramref name="elementCount"/> elements (its product did not overflow).
    /// </summary>
    public static InferenceResult<Tensor> Read(string name, DataType type, long[] shape, long elementCount, JsonSlice data, RequestMemory? memory = null)
    {
        if (RequestLimits.CheckRank(name, shape.Length) is { } tooMany)
        {
            return tooMany;
        }

        var layout = ChooseLayout(name, type, shape, elementCount, data);
        if (!layout.IsSuccess)
        {
            return layout.Error;
        }

        // Once the data is known to fit the shape: the decoded size against the limit, reserved before
        // it is allocated. A BYTES element's bytes are at most the data's own JSON text.
        var decoded = RequestLimits.DecodedBytes(type, elementCount, type == DataType.Bytes ? data.Raw.Length : 0);
        if ((memory ?? RequestMemory.Default).ReserveTensor(name, type, shape, decoded, decoded) is { } refused)
        {
            return refused;
        }

        var elementSize = type.ElementSize();
        if (elementCount > Array.MaxLength / Math.Max(elementSize, 1))
        {
            return InferenceError.Invalid(
                $"input '{name}': {elementCount} elements of {type.ToProtocolName()} are too many for one tensor");
        }

        var count = (int)elementCount;
        return type switch
        {
            DataType.Bool => ReadFixed<JsonElementReaders.Bool>(name, type, shape, count, data, layout.Value),
            DataType.UInt8 => ReadFixed<JsonElementReaders.UInt8>(name, type, shape, count, data, layout.Value),
            DataType.UInt16 => ReadFixed<JsonElementReaders.UInt16>(name, type, shape, count, data, layout.Value),
            DataType.UInt32 => ReadFixed<JsonElementReaders.UInt32>(name, type, shape, count, data, layout.Value),
            DataType.UInt64 => ReadFixed<JsonElementReaders.UInt64>(name, type, shape, count, data, layout.Value),
            DataType.Int8 => ReadFixed<JsonElementReaders.Int8>(name, type, shape, count, data, layout.Value),
            DataType.Int16 => ReadFixed<JsonElementReaders.Int16>(name, type, shape, count, data, layout.Value),
            DataType.Int32 => ReadFixed<JsonElementReaders.Int32>(name, type, shape, count, data, layout.Value),
            DataType.Int64 => ReadFixed<JsonElementReaders.Int64>(name, type, shape, count, data, layout.Value),
            DataType.Fp16 => ReadFixed<JsonElementReaders.Fp16>(name, type, shape, count, data, layout.Value),
            DataType.Bf16 => ReadFixed<JsonElementReaders.Bf16>(name, type, shape, count, data, layout.Value),
            DataType.Fp32 => ReadFixed<JsonElementReaders.Fp32>(name, type, shape, count, data, layout.Value),
            DataType.Fp64 => ReadFixed<JsonElementReaders.Fp64>(name, type, shape, count, data, layout.Value),
            DataType.Bytes => ReadBytes(name, shape, count, data, layout.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown datatype"),
        };
    }

    /// <summary>
    /// Decides how the elements are laid out and checks the layout against the shape before anything
    /// is allocated, so a small body cannot claim a huge tensor.
    /// </summary>
    private static InferenceResult<Layout> ChooseLayout(string name, DataType type, long[] shape, long elementCount, JsonSlice data)
    {
        if (!data.IsArray)
        {
            if (shape.Length == 0)
            {
                return InferenceResult<Layout>.Success(Layout.Bare);
            }

            return InferenceError.Invalid(
                $"input '{name}': 'data' must be an array for {type.ToProtocolName()} {TensorShape.Format(shape)}, got {JsonText.Describe(data)}");
        }

        if (shape.Length >= 2 && data.FirstItem().IsArray)
        {
            var error = CheckNesting(name, shape, data);
            return error is null ? InferenceResult<Layout>.Success(Layout.Nested) : error;
        }

        var length = data.ArrayLength();
        if (length != elementCount)
        {
            return InferenceError.Invalid(
                $"input '{name}': shape {TensorShape.Format(shape)} needs {elementCount} {(elementCount == 1 ? "element" : "elements")}, got {length}");
        }

        return InferenceResult<Layout>.Success(Layout.Flat);
    }

    /// <summary>
    /// Checks, in one pass, that every array at depth d (below the last) is an array of shape[d] items.
    /// Of several faults it reports the one met first reading depth-first (an array's length before its
    /// items): the one that starts earliest in the text, since an array starts before its items.
    /// </summary>
    private static InferenceError? CheckNesting(string name, long[] shape, JsonSlice data)
    {
        // The shape's rank was checked against RequestLimits.MaxDimensions before it came here, and the
        // reader's depth limit is the same, so these never overflow.
        Span<long> counts = stackalloc long[RequestLimits.MaxDimensions];
        Span<int> path = stackalloc int[RequestLimits.MaxDimensions];
        Span<long> starts = stackalloc long[RequestLimits.MaxDimensions];
        var last = shape.Length - 1;
        var reader = data.Reader();
        reader.Read();
        var level = 0;
        counts[0] = 0;
        starts[0] = 0;
        long faultAt = long.MaxValue;
        InferenceError? fault = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                if (counts[level] != shape[level] && starts[level] < faultAt)
                {
                    faultAt = starts[level];
                    fault = InferenceError.Invalid(
                        $"input '{name}': nested data must match shape {TensorShape.Format(shape)}: {FormatPath(path[..level])} has {counts[level]} items, expected {shape[level]}");
                }

                if (--level < 0)
                {
                    break;
                }

                continue;
            }

            var index = counts[level]++;
            if (level == last)
            {
                // An element: its kind is the fill's to judge.
                reader.Skip();
                continue;
            }

            if (reader.TokenType == JsonTokenType.StartArray)
            {
                path[level] = (int)Math.Min(index, int.MaxValue);
                level++;
                counts[level] = 0;
                starts[level] = reader.TokenStartIndex;
                continue;
            }

            var at = reader.TokenStartIndex;
            if (fault is null)
            {
                path[level] = (int)Math.Min(index, int.MaxValue);
                var item = data.Inner(ref reader);
                faultAt = at;
                fault = InferenceError.Invalid(
                    $"input '{name}': nested data must match shape {TensorShape.Format(shape)}: {FormatPath(path[..(level + 1)])} is {JsonText.Describe(item)}, expected an array of {shape[level + 1]}");
            }
            else
            {
                reader.Skip();
            }
        }

        return fault;
    }

    private static string FormatPath(ReadOnlySpan<int> path)
    {
        var text = new StringBuilder("data");
        foreach (var index in path)
        {
            text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
        }

        return text.ToString();
    }

    private static InferenceResult<Tensor> ReadFixed<TReader>(string name, DataType type, long[] shape, int count, JsonSlice data, Layout layout)
        where TReader : struct, IJsonElementReader
    {
        var sink = new FixedSink<TReader>(GC.AllocateUninitializedArray<byte>(count * TReader.Size));
        var error = Fill(ref sink, name, type, shape.Length, data, layout);
        return error is null ? InferenceResult<Tensor>.Success(Tensor.FromBytes(name, type, shape, sink.Buffer)) : error;
    }

    private static InferenceResult<Tensor> ReadBytes(string name, long[] shape, int count, JsonSlice data, Layout layout)
    {
        var sink = new BytesSink(new byte[count][]);
        var error = Fill(ref sink, name, DataType.Bytes, shape.Length, data, layout);
        return error is null ? InferenceResult<Tensor>.Success(Tensor.FromStrings(name, shape, sink.Elements)) : error;
    }

    /// <summary>
    /// Converts every element in order. The layout was checked, so below the data's own array there are
    /// <c>rank - 1</c> levels of arrays (nested) or none (flat), and every other token starts an element.
    /// </summary>
    private static InferenceError? Fill<TSink>(ref TSink sink, string name, DataType type, int rank, JsonSlice data, Layout layout)
        where TSink : struct, IElementSink
    {
        var reader = data.Reader();
        reader.Read();
        var index = 0;
        var status = JsonElementStatus.Ok;
        if (layout == Layout.Bare)
        {
            status = sink.Accept(ref reader, index++);
        }
        else
        {
            var arrays = layout == Layout.Nested ? rank - 1 : 0;
            var level = 0;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    if (--level < 0)
                    {
                        break;
                    }
                }
                else if (level < arrays)
                {
                    level++;
                }
                else if ((status = sink.Accept(ref reader, index++)) != JsonElementStatus.Ok)
                {
                    break;
                }
            }
        }

        if (status == JsonElementStatus.Ok)
        {
            return null;
        }

        // index has moved past the element that failed; the reader stands on its first token.
        var failed = layout == Layout.Bare ? data : data.Inner(ref reader);
        var where = $"input '{name}' element {index - 1}";
        return status switch
        {
            JsonElementStatus.OutOfRange => InferenceError.Invalid(
                $"{where}: {JsonText.Describe(failed)} is out of range for {type.ToProtocolName()}"),
            JsonElementStatus.InvalidText => InferenceError.Invalid(
                $"{where}: the string is not valid UTF-8 or has an unpaired surrogate escape"),
            _ => InferenceError.Invalid(
                $"{where}: expected {sink.Expected} for {type.ToProtocolName()}, got {JsonText.Describe(failed)}"),
        };
    }

    /// <summary>Where converted elements go.</summary>
    private interface IElementSink
    {
        /// <summary>What an element must be, for messages: "an integer".</summary>
        string Expected { get; }

        JsonElementStatus Accept(ref Utf8JsonReader reader, int index);
    }

    private readonly struct FixedSink<TReader>(byte[] buffer) : IElementSink
        where TReader : struct, IJsonElementReader
    {
        public byte[] Buffer { get; } = buffer;

        public string Expected => TReader.Expected;

        public JsonElementStatus Accept(ref Utf8JsonReader reader, int index)
            => TReader.Read(ref reader, Buffer.AsSpan(index * TReader.Size, TReader.Size));
    }

    private readonly struct BytesSink(byte[][] elements) : IElementSink
    {
        public byte[][] Elements { get; } = elements;

        public string Expected => "a string";

        public JsonElementStatus Accept(ref Utf8JsonReader reader, int index)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return JsonElementStatus.WrongKind;
            }

            if (!reader.ValueIsEscaped)
            {
                // Without escapes the token's text is the value itself; the JSON reader does not check
                // UTF-8 inside strings.
                var inside = reader.ValueSpan;
                if (!Utf8.IsValid(inside))
                {
                    return JsonElementStatus.InvalidText;
                }

                Elements[index] = inside.ToArray();
                return JsonElementStatus.Ok;
            }

            if (!JsonSlice.TryGetString(ref reader, out var text))
            {
                return JsonElementStatus.InvalidText;
            }

            Elements[index] = Encoding.UTF8.GetBytes(text);
            return JsonElementStatus.Ok;
        }
    }
}
