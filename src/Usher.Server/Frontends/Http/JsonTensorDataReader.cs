using System.Globalization;
using System.Runtime.InteropServices;
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
    public static InferenceResult<Tensor> Read(string name, DataType type, long[] shape, long elementCount, JsonElement data, RequestMemory? memory = null)
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
        var decoded = RequestLimits.DecodedBytes(type, elementCount, type == DataType.Bytes ? JsonMarshal.GetRawUtf8Value(data).Length : 0);
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
    private static InferenceResult<Layout> ChooseLayout(string name, DataType type, long[] shape, long elementCount, JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            if (shape.Length == 0)
            {
                return InferenceResult<Layout>.Success(Layout.Bare);
            }

            return InferenceError.Invalid(
                $"input '{name}': 'data' must be an array for {type.ToProtocolName()} {TensorShape.Format(shape)}, got {JsonText.Describe(data)}");
        }

        var length = data.GetArrayLength();
        if (shape.Length >= 2 && length > 0 && data[0].ValueKind == JsonValueKind.Array)
        {
            // The shape's rank was checked against RequestLimits.MaxDimensions before it came here.
            Span<int> path = stackalloc int[RequestLimits.MaxDimensions];
            var error = CheckNesting(name, shape, data, 0, path);
            return error is null ? InferenceResult<Layout>.Success(Layout.Nested) : error;
        }

        if (length != elementCount)
        {
            return InferenceError.Invalid(
                $"input '{name}': shape {TensorShape.Format(shape)} needs {elementCount} {(elementCount == 1 ? "element" : "elements")}, got {length}");
        }

        return InferenceResult<Layout>.Success(Layout.Flat);
    }

    /// <summary>Checks that every array at depth d (below the last) is an array of shape[d] items.</summary>
    private static InferenceError? CheckNesting(string name, long[] shape, JsonElement array, int depth, Span<int> path)
    {
        var length = array.GetArrayLength();
        if (length != shape[depth])
        {
            return InferenceError.Invalid(
                $"input '{name}': nested data must match shape {TensorShape.Format(shape)}: {FormatPath(path[..depth])} has {length} items, expected {shape[depth]}");
        }

        if (depth == shape.Length - 1)
        {
            return null;
        }

        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            path[depth] = index;
            if (item.ValueKind != JsonValueKind.Array)
            {
                return InferenceError.Invalid(
                    $"input '{name}': nested data must match shape {TensorShape.Format(shape)}: {FormatPath(path[..(depth + 1)])} is {JsonText.Describe(item)}, expected an array of {shape[depth + 1]}");
            }

            var error = CheckNesting(name, shape, item, depth + 1, path);
            if (error is not null)
            {
                return error;
            }

            index++;
        }

        return null;
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

    private static InferenceResult<Tensor> ReadFixed<TReader>(string name, DataType type, long[] shape, int count, JsonElement data, Layout layout)
        where TReader : struct, IJsonElementReader
    {
        var sink = new FixedSink<TReader>(new byte[count * TReader.Size]);
        var error = Fill(ref sink, name, type, shape.Length, data, layout);
        return error is null ? InferenceResult<Tensor>.Success(Tensor.FromBytes(name, type, shape, sink.Buffer)) : error;
    }

    private static InferenceResult<Tensor> ReadBytes(string name, long[] shape, int count, JsonElement data, Layout layout)
    {
        var sink = new BytesSink(new byte[count][]);
        var error = Fill(ref sink, name, DataType.Bytes, shape.Length, data, layout);
        return error is null ? InferenceResult<Tensor>.Success(Tensor.FromStrings(name, shape, sink.Elements)) : error;
    }

    private static InferenceError? Fill<TSink>(ref TSink sink, string name, DataType type, int rank, JsonElement data, Layout layout)
        where TSink : struct, IElementSink
    {
        var index = 0;
        JsonElement failed = default;
        var status = layout switch
        {
            Layout.Bare => sink.Accept(data, index++),
            Layout.Flat => FillArray(ref sink, data, ref index, ref failed),
            _ => FillNested(ref sink, data, rank - 1, ref index, ref failed),
        };

        if (status == JsonElementStatus.Ok)
        {
            return null;
        }

        if (layout == Layout.Bare)
        {
            failed = data;
            index = 1;
        }

        // index has moved past the element that failed.
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

    private static JsonElementStatus FillArray<TSink>(ref TSink sink, JsonElement array, ref int index, ref JsonElement failed)
        where TSink : struct, IElementSink
    {
        foreach (var element in array.EnumerateArray())
        {
            var status = sink.Accept(element, index++);
            if (status != JsonElementStatus.Ok)
            {
                failed = element;
                return status;
            }
        }

        return JsonElementStatus.Ok;
    }

    private static JsonElementStatus FillNested<TSink>(ref TSink sink, JsonElement array, int levelsBelow, ref int index, ref JsonElement failed)
        where TSink : struct, IElementSink
    {
        if (levelsBelow == 0)
        {
            return FillArray(ref sink, array, ref index, ref failed);
        }

        foreach (var inner in array.EnumerateArray())
        {
            var status = FillNested(ref sink, inner, levelsBelow - 1, ref index, ref failed);
            if (status != JsonElementStatus.Ok)
            {
                return status;
            }
        }

        return JsonElementStatus.Ok;
    }

    /// <summary>Where converted elements go.</summary>
    private interface IElementSink
    {
        /// <summary>What an element must be, for messages: "an integer".</summary>
        string Expected { get; }

        JsonElementStatus Accept(JsonElement element, int index);
    }

    private readonly struct FixedSink<TReader>(byte[] buffer) : IElementSink
        where TReader : struct, IJsonElementReader
    {
        public byte[] Buffer { get; } = buffer;

        public string Expected => TReader.Expected;

        public JsonElementStatus Accept(JsonElement element, int index)
            => TReader.Read(element, Buffer.AsSpan(index * TReader.Size, TReader.Size));
    }

    private readonly struct BytesSink(byte[][] elements) : IElementSink
    {
        public byte[][] Elements { get; } = elements;

        public string Expected => "a string";

        public JsonElementStatus Accept(JsonElement element, int index)
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                return JsonElementStatus.WrongKind;
            }

            // The raw token is the quoted text; without escapes its inside is the value itself.
            var raw = JsonMarshal.GetRawUtf8Value(element);
            var inside = raw[1..^1];
            if (!inside.Contains((byte)'\\'))
            {
                // The JSON reader does not check UTF-8 inside strings.
                if (!Utf8.IsValid(inside))
                {
                    return JsonElementStatus.InvalidText;
                }

                Elements[index] = inside.ToArray();
                return JsonElementStatus.Ok;
            }

            try
            {
                Elements[index] = Encoding.UTF8.GetBytes(element.GetString()!);
                return JsonElementStatus.Ok;
            }
            catch (InvalidOperationException)
            {
                // GetString's only way to say the escapes spell a lone surrogate or bad UTF-8.
                return JsonElementStatus.InvalidText;
            }
        }
    }
}
