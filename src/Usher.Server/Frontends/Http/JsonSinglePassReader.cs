using System.Runtime.InteropServices;
using System.Text.Json;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The fast path of <see cref="JsonInferenceRequestReader"/>: one pass of one reader over the whole
/// body that decodes every input straight into its tensor while it checks the JSON, for a request
/// without mistakes whose inputs give <c>name</c>, <c>datatype</c> and <c>shape</c> before <c>data</c>
/// (as every client library writes them) and carry no parameters. Anything else (a mistake of any
/// kind, another order, BYTES, binary inputs) makes it give up, returning what it reserved, and the
/// full reader decodes the body and words the error. So it never decides an answer on its own: it
/// only spares a valid request the full reader's extra passes over its data.
/// </summary>
internal static class JsonSinglePassReader
{
    /// <summary>What the pass found: the tensors, and the other top-level fields for the full reader to judge.</summary>
    public readonly record struct Result(Tensor[] Inputs, JsonSlice Id, JsonSlice Parameters, JsonSlice Outputs);

    /// <summary>The decoded inputs and the other fields, or false to leave the body to the full reader.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> utf8Json, RequestMemory memory, out Result result)
    {
        var before = memory.Reserved;
        try
        {
            var reader = new Utf8JsonReader(utf8Json.Span, JsonSlice.Options);
            var source = utf8Json;
            if (TryReadRoot(ref source, ref reader, memory, out result) && !reader.Read())
            {
                return true;
            }
        }
        catch (JsonException)
        {
            // Malformed: the full reader says where.
        }

        memory.Release(memory.Reserved - before);
        result = default;
        return false;
    }

    /// <summary>
    /// Reads the body; <paramref name="source"/> is the text <paramref name="reader"/> reads, which moves
    /// on (with a new reader) each time a <c>data</c> array is scanned past the reader.
    /// </summary>
    private static bool TryReadRoot(ref ReadOnlyMemory<byte> source, ref Utf8JsonReader reader, RequestMemory memory, out Result result)
    {
        result = default;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        Tensor[]? inputs = null;
        JsonSlice id = default, parameters = default, outputs = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (JsonSlice.ValueEquals(ref reader, "inputs"u8))
            {
                reader.Read();
                if (inputs is not null || !TryReadInputs(ref source, ref reader, memory, out inputs))
                {
                    return false;
                }
            }
            else
            {
                // The full reader keeps the last of a repeated field; here a repeat gives up.
                ref var field = ref Field(ref reader, ref id, ref parameters, ref outputs, out var known);
                reader.Read();
                var value = JsonSlice.At(source, ref reader);
                if (known)
                {
                    if (field.IsPresent)
                    {
                        return false;
                    }

                    field = value;
                }
            }
        }

        if (inputs is null || reader.TokenType != JsonTokenType.EndObject)
        {
            return false;
        }

        result = new Result(inputs, id, parameters, outputs);
        return true;
    }

    private static ref JsonSlice Field(ref Utf8JsonReader reader, ref JsonSlice id, ref JsonSlice parameters, ref JsonSlice outputs, out bool known)
    {
        known = true;
        if (JsonSlice.ValueEquals(ref reader, "id"u8))
        {
            return ref id;
        }

        if (JsonSlice.ValueEquals(ref reader, "parameters"u8))
        {
            return ref parameters;
        }

        if (!JsonSlice.ValueEquals(ref reader, "outputs"u8))
        {
            known = false;
        }

        return ref outputs;
    }

    private static bool TryReadInputs(ref ReadOnlyMemory<byte> source, ref Utf8JsonReader reader, RequestMemory memory, out Tensor[]? inputs)
    {
        inputs = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        // Almost every request has one input; more grow the array.
        var tensors = new Tensor[1];
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var tensor = TryReadInput(ref source, ref reader, memory);
            if (tensor is null)
            {
                return false;
            }

            if (count == tensors.Length)
            {
                Array.Resize(ref tensors, count * 2);
            }

            tensors[count++] = tensor;
        }

        if (reader.TokenType != JsonTokenType.EndArray || count == 0)
        {
            return false;
        }

        if (count != tensors.Length)
        {
            Array.Resize(ref tensors, count);
        }

        inputs = tensors;
        return true;
    }

    private static Tensor? TryReadInput(ref ReadOnlyMemory<byte> source, ref Utf8JsonReader reader, RequestMemory memory)
    {
        string? name = null;
        var type = DataType.Bytes;
        long[]? shape = null;
        Tensor? tensor = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (tensor is not null)
            {
                // Only "data" may be the last field; anything after it is for the full reader.
                return null;
            }

            if (JsonSlice.ValueEquals(ref reader, "name"u8))
            {
                reader.Read();
                if (name is not null || reader.TokenType != JsonTokenType.String || !InputNames.TryGet(ref reader, out name))
                {
                    return null;
                }
            }
            else if (JsonSlice.ValueEquals(ref reader, "datatype"u8))
            {
                reader.Read();
                if (type != DataType.Bytes || reader.TokenType != JsonTokenType.String || !TryReadType(ref reader, out type) || type == DataType.Bytes)
                {
                    return null;
                }
            }
            else if (JsonSlice.ValueEquals(ref reader, "shape"u8))
            {
                reader.Read();
                if (shape is not null || (shape = TryReadShape(ref reader)) is null)
                {
                    return null;
                }
            }
            else if (JsonSlice.ValueEquals(ref reader, "data"u8))
            {
                reader.Read();
                if (name is null || shape is null || type == DataType.Bytes)
                {
                    return null;
                }

                tensor = TryReadData(ref source, ref reader, name, type, shape, memory);
                if (tensor is null)
                {
                    return null;
                }
            }
            else if (JsonSlice.ValueEquals(ref reader, "parameters"u8))
            {
                return null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return reader.TokenType == JsonTokenType.EndObject ? tensor : null;
    }

    // The datatype from its bytes: no string per tensor; an escaped name (legal, never seen) is unescaped first.
    private static bool TryReadType(ref Utf8JsonReader reader, out DataType type)
    {
        if (!reader.ValueIsEscaped)
        {
            return DataTypes.TryParse(reader.ValueSpan, out type);
        }

        type = default;
        return JsonSlice.TryGetString(ref reader, out var name) && DataTypes.TryParse(name, out type);
    }

    private static long[]? TryReadShape(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }

        Span<long> dims = stackalloc long[RequestLimits.MaxDimensions];
        var rank = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (rank == dims.Length || !reader.TryGetInt64(out var dim) || dim < 0)
            {
                return null;
            }

            dims[rank++] = dim;
        }

        return reader.TokenType == JsonTokenType.EndArray ? dims[..rank].ToArray() : null;
    }

    private static Tensor? TryReadData(ref ReadOnlyMemory<byte> source, ref Utf8JsonReader reader, string name, DataType type, long[] shape, RequestMemory memory)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim != 0 && count > long.MaxValue / dim)
            {
                return null;
            }

            count *= dim;
        }

        var size = type.ElementSize();
        var bytes = RequestLimits.DecodedBytes(type, count, 0);
        if (count > Array.MaxLength / size || memory.ReserveTensor(name, type, shape, bytes, bytes) is not null)
        {
            return null;
        }

        var buffer = GC.AllocateUninitializedArray<byte>((int)bytes);
        var filled = type switch
        {
            DataType.Bool => Fill<JsonElementReaders.Bool>(ref reader, shape, buffer),
            DataType.UInt8 => FillNumbers<byte, JsonElementReaders.UInt8>(ref source, ref reader, shape, buffer),
            DataType.UInt16 => FillNumbers<ushort, JsonElementReaders.UInt16>(ref source, ref reader, shape, buffer),
            DataType.UInt32 => FillNumbers<uint, JsonElementReaders.UInt32>(ref source, ref reader, shape, buffer),
            DataType.UInt64 => FillNumbers<ulong, JsonElementReaders.UInt64>(ref source, ref reader, shape, buffer),
            DataType.Int8 => FillNumbers<sbyte, JsonElementReaders.Int8>(ref source, ref reader, shape, buffer),
            DataType.Int16 => FillNumbers<short, JsonElementReaders.Int16>(ref source, ref reader, shape, buffer),
            DataType.Int32 => FillNumbers<int, JsonElementReaders.Int32>(ref source, ref reader, shape, buffer),
            DataType.Int64 => FillNumbers<long, JsonElementReaders.Int64>(ref source, ref reader, shape, buffer),
            DataType.Fp16 => Fill<JsonElementReaders.Fp16>(ref reader, shape, buffer),
            DataType.Bf16 => Fill<JsonElementReaders.Bf16>(ref reader, shape, buffer),
            DataType.Fp32 => FillNumbers<float, JsonElementReaders.Fp32>(ref source, ref reader, shape, buffer),
            DataType.Fp64 => FillNumbers<double, JsonElementReaders.Fp64>(ref source, ref reader, shape, buffer),
            _ => false,
        };

        return filled ? Tensor.FromBytes(name, type, shape, buffer) : null;
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from the numeric data at the reader in one pass over its text
    /// (<see cref="JsonNumberArray"/>), then goes on with a reader that starts at the array's ']' in
    /// the state the old one had just past its '[': to the JSON reader, an empty array. A bare value
    /// (rank 0) is read as a token.
    /// </summary>
    private static bool FillNumbers<T, TReader>(ref ReadOnlyMemory<byte> source, ref Utf8JsonReader reader, long[] shape, byte[] buffer)
        where T : unmanaged
        where TReader : struct, IJsonTextElementReader<T>
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return Fill<TReader>(ref reader, shape, buffer);
        }

        // The reader's depth limit holds for the arrays nested inside this one as it would for the reader.
        var maxNesting = JsonSlice.Options.MaxDepth - (reader.CurrentDepth + 1);
        var destination = MemoryMarshal.Cast<byte, T>(buffer.AsSpan());
        if (!JsonNumberArray.TryFill<T, TReader>(source.Span, (int)reader.BytesConsumed, shape, maxNesting, destination, out var end))
        {
            return false;
        }

        var state = reader.CurrentState;
        source = source[end..];
        reader = new Utf8JsonReader(source.Span, isFinalBlock: true, state);
        return reader.Read() && reader.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from the data at the reader, flat or nested exactly as the shape
    /// says (every array of its length), every element converted; false at the first thing that is not.
    /// </summary>
    private static bool Fill<TReader>(ref Utf8JsonReader reader, long[] shape, byte[] buffer)
        where TReader : struct, IJsonElementReader
    {
        var size = TReader.Size;
        var count = buffer.Length / size;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            // A rank-0 tensor written as the bare value.
            return shape.Length == 0 && TReader.Read(ref reader, buffer) == JsonElementStatus.Ok;
        }

        Span<long> items = stackalloc long[RequestLimits.MaxDimensions];
        var index = 0;
        var level = 0;
        var nested = false;
        var first = true;
        items[0] = 0;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token == JsonTokenType.EndArray)
            {
                // Flat: one array of every element; nested: each array as long as its dimension.
                if (nested ? items[level] != shape[level] : index != count)
                {
                    return false;
                }

                if (--level < 0)
                {
                    return true;
                }

                continue;
            }

            if (first)
            {
                nested = shape.Length >= 2 && token == JsonTokenType.StartArray;
                first = false;
            }

            items[level]++;
            if (nested && level < shape.Length - 1)
            {
                if (token != JsonTokenType.StartArray)
                {
                    return false;
                }

                items[++level] = 0;
                continue;
            }

            if (index == count || TReader.Read(ref reader, buffer.AsSpan(index * size, size)) != JsonElementStatus.Ok)
            {
                return false;
            }

            index++;
        }

        return false;
    }
}
