using System.Buffers.Binary;
using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Repository;

/// <summary>Builds the input tensors of a warm-up sample from the config and the signature.</summary>
internal static class WarmupInputs
{
    public static IReadOnlyList<Tensor> Build(WarmupSample sample, ModelSignature signature)
    {
        var unknown = sample.Inputs.Keys.Where(k => !signature.InputsByName.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ModelLoadException($"warmup '{sample.Name}': unknown input(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; the model's inputs are {string.Join(", ", signature.Inputs.Select(i => $"'{i.Name}'"))}");
        }

        var tensors = new List<Tensor>(signature.Inputs.Count);
        var seed = 0x5EEDUL;
        foreach (var spec in signature.Inputs)
        {
            sample.Inputs.TryGetValue(spec.Name, out var input);
            input ??= new WarmupInput(WarmupData.Zeros);
            var shape = Shape(sample, spec, input, signature.IsBatched);
            var count = TensorShape.ElementCount(shape);
            var fileName = signature.ToFileName(spec.Name);
            if (input.Kind == WarmupData.Values && (input.Values is null || input.Values.Count != count))
            {
                throw new ModelLoadException($"warmup '{sample.Name}' input '{spec.Name}': shape {TensorShape.Format(shape)} needs {count} values, got {input.Values?.Count ?? 0}");
            }

            if (spec.DataType == DataType.Bytes)
            {
                var strings = new byte[count][];
                for (var i = 0; i < count; i++)
                {
                    strings[i] = input.Kind == WarmupData.Zeros ? [] : System.Text.Encoding.UTF8.GetBytes(Value(input, i, ref seed).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                tensors.Add(Tensor.FromStrings(fileName, shape, strings));
                continue;
            }

            var size = spec.DataType.ElementSize();
            var bytes = new byte[count * size];
            if (input.Kind != WarmupData.Zeros)
            {
                for (var i = 0; i < count; i++)
                {
                    Write(spec.DataType, bytes.AsSpan((int)(i * size), size), Value(input, i, ref seed));
                }
            }

            tensors.Add(Tensor.FromBytes(fileName, spec.DataType, shape, bytes));
        }

        return tensors;
    }

    private static long[] Shape(WarmupSample sample, TensorSpec spec, WarmupInput input, bool batched)
    {
        if (input.Dims is long[] dims)
        {
            return batched ? [sample.BatchSize, .. dims] : dims;
        }

        var shape = new long[spec.Shape.Length];
        for (var d = 0; d < shape.Length; d++)
        {
            shape[d] = batched && d == 0 ? sample.BatchSize : Math.Max(spec.Shape[d], 1);
        }

        return shape;
    }

    private static double Value(WarmupInput input, long index, ref ulong seed)
    {
        if (input.Kind == WarmupData.Values)
        {
            return input.Values![(int)index];
        }

        // SplitMix64: fixed sequence, values in [0, 1).
        seed += 0x9E3779B97F4A7C15UL;
        var z = seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    private static void Write(DataType type, Span<byte> target, double value)
    {
        switch (type)
        {
            case DataType.Bool: target[0] = value != 0 ? (byte)1 : (byte)0; break;
            case DataType.UInt8: target[0] = (byte)value; break;
            case DataType.Int8: target[0] = (byte)(sbyte)value; break;
            case DataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(target, (ushort)value); break;
            case DataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(target, (short)value); break;
            case DataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)value); break;
            case DataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(target, (int)value); break;
            case DataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(target, (ulong)value); break;
            case DataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(target, (long)value); break;
            case DataType.Fp16: BinaryPrimitives.WriteHalfLittleEndian(target, (Half)value); break;
            case DataType.Bf16: BinaryPrimitives.WriteUInt16LittleEndian(target, (ushort)(BitConverter.SingleToUInt32Bits((float)value) >> 16)); break;
            case DataType.Fp32: BinaryPrimitives.WriteSingleLittleEndian(target, (float)value); break;
            case DataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(target, value); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a fixed-size type");
        }
    }
}
