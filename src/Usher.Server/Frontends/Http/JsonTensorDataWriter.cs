using System.Buffers;
using System.Globalization;
using Usher.Core.Tensors;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Writes a fixed-size tensor's elements as the JSON array of an output's <c>data</c>, flat and in
/// row-major order, formatting each number straight into the output's (pooled) buffer: no string and
/// no JSON writer call per element. Floating-point values take their shortest form that reads back
/// to the same value (what <c>"R"</c> gives), and NaN and infinities the strings "NaN", "Infinity"
/// and "-Infinity" (<see cref="JsonNumbers"/>). FP32 (and FP16 and BF16, written as the float of the
/// same value) take <see cref="ShortestSingle"/>'s text: the runtime's, at a fraction of its cost.
/// </summary>
internal static class JsonTensorDataWriter
{
    /// <summary>
    /// Room asked of the output at a time; each element needs at most <see cref="MaxElementBytes"/>
    /// ("-1.7976931348623157E+308" is 24, "-9223372036854775808" 20) plus its comma.
    /// </summary>
    private const int ChunkBytes = 16 * 1024;

    private const int MaxElementBytes = 32;

    /// <summary>Whether <see cref="Write"/> takes this datatype (every fixed-size one; BYTES goes through the JSON writer's escaping).</summary>
    public static bool Handles(DataType type) => type != DataType.Bytes;

    /// <summary>Writes <c>[e0,e1,...]</c> for <paramref name="tensor"/> to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, Tensor tensor)
    {
        // A small tensor asks only for the room it can need, so that it lands in the output's current
        // block: a response pipe's blocks are 4 KiB, and asking for more takes a separate buffer.
        var writer = new ChunkWriter(output, (int)Math.Min(ChunkBytes, (tensor.ElementCount * (MaxElementBytes + 1)) + 2));
        writer.Put((byte)'[');
        switch (tensor.DataType)
        {
            case DataType.Bool:
                var first = true;
                foreach (var value in tensor.Data.Span)
                {
                    writer.Reserve();
                    writer.Separate(ref first);
                    writer.Put(value != 0 ? "true"u8 : "false"u8);
                }

                break;
            case DataType.UInt8:
                WriteIntegers(ref writer, tensor.Data.Span);
                break;
            case DataType.UInt16:
                WriteIntegers(ref writer, tensor.AsSpan<ushort>());
                break;
            case DataType.UInt32:
                WriteIntegers(ref writer, tensor.AsSpan<uint>());
                break;
            case DataType.UInt64:
                WriteIntegers(ref writer, tensor.AsSpan<ulong>());
                break;
            case DataType.Int8:
                WriteIntegers(ref writer, tensor.AsSpan<sbyte>());
                break;
            case DataType.Int16:
                WriteIntegers(ref writer, tensor.AsSpan<short>());
                break;
            case DataType.Int32:
                WriteIntegers(ref writer, tensor.AsSpan<int>());
                break;
            case DataType.Int64:
                WriteIntegers(ref writer, tensor.AsSpan<long>());
                break;
            case DataType.Fp16:
                first = true;
                foreach (var value in tensor.AsSpan<Half>())
                {
                    writer.Reserve();
                    writer.Separate(ref first);
                    writer.PutSingle((float)value);
                }

                break;
            case DataType.Bf16:
                first = true;
                foreach (var value in tensor.AsSpan<ushort>())
                {
                    writer.Reserve();
                    writer.Separate(ref first);
                    writer.PutSingle(BFloat16Bits.ToSingle(value));
                }

                break;
            case DataType.Fp32:
                first = true;
                foreach (var value in tensor.AsSpan<float>())
                {
                    writer.Reserve();
                    writer.Separate(ref first);
                    writer.PutSingle(value);
                }

                break;
            case DataType.Fp64:
                first = true;
                foreach (var value in tensor.AsSpan<double>())
                {
                    writer.Reserve();
                    writer.Separate(ref first);
                    writer.PutDouble(value);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tensor), tensor.DataType, "not a fixed-size datatype");
        }

        writer.Reserve();
        writer.Put((byte)']');
        writer.Commit();
    }

    private static void WriteIntegers<T>(ref ChunkWriter writer, ReadOnlySpan<T> values)
        where T : IUtf8SpanFormattable
    {
        var first = true;
        foreach (var value in values)
        {
            writer.Reserve();
            writer.Separate(ref first);
            writer.PutFormatted(value);
        }
    }

    /// <summary>A span of the output filled from the front, committed when full and at the end.</summary>
    private ref struct ChunkWriter(IBufferWriter<byte> output, int firstChunk)
    {
        private Span<byte> _span = output.GetSpan(firstChunk);
        private int _used;

        /// <summary>Makes sure one more element (and its comma) fits.</summary>
        public void Reserve()
        {
            if (_span.Length - _used < MaxElementBytes + 1)
            {
                output.Advance(_used);
                _span = output.GetSpan(ChunkBytes);
                _used = 0;
            }
        }

        public void Commit() => output.Advance(_used);

        public void Separate(ref bool first)
        {
            if (!first)
            {
                _span[_used++] = (byte)',';
            }

            first = false;
        }

        public void Put(byte value) => _span[_used++] = value;

        public void Put(ReadOnlySpan<byte> text)
        {
            text.CopyTo(_span[_used..]);
            _used += text.Length;
        }

        public void PutFormatted<T>(T value)
            where T : IUtf8SpanFormattable
        {
            value.TryFormat(_span[_used..], out var written, default, CultureInfo.InvariantCulture);
            _used += written;
        }

        public void PutSingle(float value)
        {
            if (float.IsFinite(value))
            {
                _used += ShortestSingle.Format(value, _span[_used..]);
            }
            else
            {
                PutNonFinite(float.IsNaN(value), value > 0);
            }
        }

        public void PutDouble(double value)
        {
            if (double.IsFinite(value))
            {
                PutFormatted(value);
            }
            else
            {
                PutNonFinite(double.IsNaN(value), value > 0);
            }
        }

        private void PutNonFinite(bool isNaN, bool isPositive)
            => Put(isNaN ? "\"NaN\""u8 : isPositive ? "\"Infinity\""u8 : "\"-Infinity\""u8);
    }
}
