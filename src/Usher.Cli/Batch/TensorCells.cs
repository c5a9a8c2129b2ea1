using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>Reads and writes single elements of output tensors, in the invariant culture (shortest round-trip for floats).</summary>
internal static class TensorCells
{
    /// <summary>Writes element <paramref name="index"/> of <paramref name="tensor"/> as text.</summary>
    public static void WriteText(IBufferWriter<byte> output, Tensor tensor, int index)
    {
        var span = output.GetSpan(32);
        int written;
        switch (tensor.DataType)
        {
            case DataType.Fp32: tensor.AsSpan<float>()[index].TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
            case DataType.Fp64: tensor.AsSpan<double>()[index].TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
            case DataType.UInt64: tensor.AsSpan<ulong>()[index].TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
            case DataType.Bool:
                var text = tensor.Data.Span[index] != 0 ? "true"u8 : "false"u8;
                text.CopyTo(span);
                written = text.Length;
                break;
            default: AsLong(tensor, index).TryFormat(span, out written, default, CultureInfo.InvariantCulture); break;
        }

        output.Advance(written);
    }

    /// <summary>Writes element <paramref name="index"/> of <paramref name="tensor"/> as a JSON value.</summary>
    public static void WriteJson(Utf8JsonWriter writer, Tensor tensor, int index)
    {
        switch (tensor.DataType)
        {
            case DataType.Fp32: writer.WriteNumberValue(tensor.AsSpan<float>()[index]); break;
            case DataType.Fp64: writer.WriteNumberValue(tensor.AsSpan<double>()[index]); break;
            case DataType.UInt64: writer.WriteNumberValue(tensor.AsSpan<ulong>()[index]); break;
            case DataType.Bool: writer.WriteBooleanValue(tensor.Data.Span[index] != 0); break;
            default: writer.WriteNumberValue(AsLong(tensor, index)); break;
        }
    }

    /// <summary>Element <paramref name="index"/> of an integer tensor as a long.</summary>
    public static long AsLong(Tensor tensor, int index) => tensor.DataType switch
    {
        DataType.Bool or DataType.UInt8 => tensor.Data.Span[index],
        DataType.Int8 => (sbyte)tensor.Data.Span[index],
        DataType.UInt16 => tensor.AsSpan<ushort>()[index],
        DataType.Int16 => tensor.AsSpan<short>()[index],
        DataType.UInt32 => tensor.AsSpan<uint>()[index],
        DataType.Int32 => tensor.AsSpan<int>()[index],
        DataType.UInt64 => unchecked((long)tensor.AsSpan<ulong>()[index]),
        _ => tensor.AsSpan<long>()[index],
    };

    /// <summary>A kept value as CSV text (not yet quoted); empty for null.</summary>
    public static string KeptText(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
