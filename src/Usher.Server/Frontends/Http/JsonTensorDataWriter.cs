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
    /// <summary>Room asked of the output at a time after the first chunk.</summary>
    private const int ChunkBytes = 16 * 1024;

    /// <summary>Whether <see cref="Write"/> takes this datatype (every fixed-size one; BYTES goes through the JSON writer's escaping).</summary>
    public static bool Handles(DataType type) => type != DataType.Bytes;

    /// <summary>Writes <c>[e0,e1,...]</c> for <paramref name="tensor"/> to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, Tensor tensor)
    {
        switch (tensor.DataType)
        {
            case DataType.Bool:
                Write<byte, BoolText>(output, tensor.Data.Span);
                break;
            case DataType.UInt8:
                Write<byte, IntegerText<byte>>(output, tensor.Data.Span);
                break;
            case DataType.UInt16:
                Write<ushort, IntegerText<ushort>>(output, tensor.AsSpan<ushort>());
                break;
            case DataType.UInt32:
                Write<uint, IntegerText<uint>>(output, tensor.AsSpan<uint>());
                break;
            case DataType.UInt64:
                Write<ulong, IntegerText<ulong>>(output, tensor.AsSpan<ulong>());
                break;
            case DataType.Int8:
                Write<sbyte, IntegerText<sbyte>>(output, tensor.AsSpan<sbyte>());
                break;
            case DataType.Int16:
                Write<short, IntegerText<short>>(output, tensor.AsSpan<short>());
                break;
            case DataType.Int32:
                Write<int, IntegerText<int>>(output, tensor.AsSpan<int>());
                break;
            case DataType.Int64:
                Write<long, IntegerText<long>>(output, tensor.AsSpan<long>());
                break;
            case DataType.Fp16:
                Write<Half, HalfText>(output, tensor.AsSpan<Half>());
                break;
            case DataType.Bf16:
                Write<ushort, BFloat16Text>(output, tensor.AsSpan<ushort>());
                break;
            case DataType.Fp32:
                Write<float, SingleText>(output, tensor.AsSpan<float>());
                break;
            case DataType.Fp64:
                Write<double, DoubleText>(output, tensor.AsSpan<double>());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tensor), tensor.DataType, "not a fixed-size datatype");
        }
    }

    /// <summary>
    /// Formats the values into spans of the output, each followed by a comma, as many at a time as surely
    /// fit the span (no check per value); the last comma becomes the ']'.
    /// </summary>
    private static void Write<T, TText>(IBufferWriter<byte> output, ReadOnlySpan<T> values)
        where TText : struct, IElementText<T>
    {
        var slot = TText.MaxBytes + 1;

        // A small tensor asks only for the room it can need, so that it lands in the output's current
        // block: a response pipe's blocks are 4 KiB, and asking for more takes a separate buffer.
        var span = output.GetSpan((int)Math.Min(ChunkBytes, ((long)values.Length * slot) + 2));
        span[0] = (byte)'[';
        var used = 1;
        var next = 0;
        while (next < values.Length)
        {
            var fit = Math.Min(values.Length - next, (span.Length - used) / slot);
            if (fit == 0)
            {
                output.Advance(used);
                span = output.GetSpan(ChunkBytes);
                used = 0;
                continue;
            }

            foreach (var value in values.Slice(next, fit))
            {
                used += TText.Format(value, span[used..]);
                span[used++] = (byte)',';
            }

            next += fit;
        }

        // The last value's comma (in this span, as its value is) becomes the ']'; '[' alone left room for it.
        if (values.Length > 0)
        {
            used--;
        }

        span[used++] = (byte)']';
        output.Advance(used);
    }

    /// <summary>How one element is written: its text, at most <see cref="MaxBytes"/> long.</summary>
    private interface IElementText<T>
    {
        static abstract int MaxBytes { get; }

        static abstract int Format(T value, Span<byte> destination);
    }

    private readonly struct BoolText : IElementText<byte>
    {
        public static int MaxBytes => 5;

        public static int Format(byte value, Span<byte> destination)
        {
            var text = value != 0 ? "true"u8 : "false"u8;
            text.CopyTo(destination);
            return text.Length;
        }
    }

    private readonly struct IntegerText<T> : IElementText<T>
        where T : IUtf8SpanFormattable
    {
        /// <summary>"-9223372036854775808" and "18446744073709551615" are 20.</summary>
        public static int MaxBytes => 20;

        public static int Format(T value, Span<byte> destination)
        {
            value.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
            return written;
        }
    }

    private readonly struct SingleText : IElementText<float>
    {
        /// <summary>The longest of a finite float's text and "\"-Infinity\"" (11).</summary>
        public static int MaxBytes => ShortestSingle.MaxLength;

        public static int Format(float value, Span<byte> destination)
            => float.IsFinite(value) ? ShortestSingle.Format(value, destination) : NonFinite(float.IsNaN(value), value > 0, destination);
    }

    /// <summary>FP16, written as the float of the same value.</summary>
    private readonly struct HalfText : IElementText<Half>
    {
        public static int MaxBytes => ShortestSingle.MaxLength;

        public static int Format(Half value, Span<byte> destination) => SingleText.Format((float)value, destination);
    }

    /// <summary>BF16 (its bits), written as the float of the same value.</summary>
    private readonly struct BFloat16Text : IElementText<ushort>
    {
        public static int MaxBytes => ShortestSingle.MaxLength;

        public static int Format(ushort value, Span<byte> destination) => SingleText.Format(BFloat16Bits.ToSingle(value), destination);
    }

    private readonly struct DoubleText : IElementText<double>
    {
        /// <summary>"-1.7976931348623157E+308" is 24.</summary>
        public static int MaxBytes => 24;

        public static int Format(double value, Span<byte> destination)
        {
            if (!double.IsFinite(value))
            {
                return NonFinite(double.IsNaN(value), value > 0, destination);
            }

            value.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
            return written;
        }
    }

    private static int NonFinite(bool isNaN, bool isPositive, Span<byte> destination)
    {
        var text = isNaN ? "\"NaN\""u8 : isPositive ? "\"Infinity\""u8 : "\"-Infinity\""u8;
        text.CopyTo(destination);
        return text.Length;
    }
}
