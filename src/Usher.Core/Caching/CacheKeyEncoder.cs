using System.Globalization;
using System.Runtime.InteropServices;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Core.Caching;

/// <summary>
/// The canonical bytes of a request's cache key. Layout, all integers little-endian, every string
/// UTF-8 behind its int32 byte count:
/// <list type="number">
/// <item>format version (byte), round_decimals (byte; 255 = exact bytes);</item>
/// <item>model name (string), resolved version (int64);</item>
/// <item>input count (int32), then per keyed input in model order: file name (string), datatype
/// (byte), rank (int32), dims (int64 each), then the data: fixed-size types as their byte count
/// (int32) and bytes, or, when rounding applies to a floating-point input, the element count
/// (int32) and each element rounded as a float64; BYTES as the element count (int32) and each
/// element's byte count (int32) and bytes;</item>
/// <item>output count (int32), then each requested output's file name (string) in order;</item>
/// <item>request parameters other than <see cref="TransportParameters"/>, sorted by name: count
/// (int32), then name (string), type tag (byte) and value;</item>
/// <item>per client-requested output in order: its name (string) and its parameters, encoded as
/// the request's.</item>
/// </list>
/// Every variable-length part is prefixed with its length or count, so equal bytes mean equal keys.
/// </summary>
internal static class CacheKeyEncoder
{
    private const byte FormatVersion = 1;
    private const byte NoRounding = byte.MaxValue;
    private const long CanonicalNaNBits = 0x7FF8_0000_0000_0000;

    private const byte TagBool = 1;
    private const byte TagInt64 = 2;
    private const byte TagUInt64 = 3;
    private const byte TagDouble = 4;
    private const byte TagString = 5;
    private const byte TagOther = 255;

    /// <summary>The key bytes of <paramref name="request"/>.</summary>
    /// <param name="model">The model name.</param>
    /// <param name="version">The resolved version.</param>
    /// <param name="request">The validated request.</param>
    /// <param name="keyInputs">The file names of the inputs to key on; null = all inputs.</param>
    /// <param name="roundDecimals">Decimals to round floating-point inputs to (0..15); null = exact bytes.</param>
    public static byte[] Encode(string model, long version, ValidatedRequest request, IReadOnlySet<string>? keyInputs, int? roundDecimals)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        if (roundDecimals is < 0 or > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(roundDecimals), roundDecimals, "round_decimals must be between 0 and 15");
        }

        // A key_inputs name that matches no input would key every request on nothing and hand one
        // answer to all; keying on every input instead costs hits, never correctness.
        if (keyInputs is not null && !NamesAllPresent(keyInputs, request.Inputs))
        {
            keyInputs = null;
        }

        var writer = new KeyWriter(EstimateSize(model, request, roundDecimals is not null));
        writer.WriteByte(FormatVersion);
        writer.WriteByte(roundDecimals is { } d ? (byte)d : NoRounding);
        writer.WriteString(model);
        writer.WriteInt64(version);

        writer.WriteInt32(keyInputs?.Count ?? request.Inputs.Count);
        foreach (var input in request.Inputs)
        {
            if (keyInputs is null || keyInputs.Contains(input.Name))
            {
                WriteTensor(ref writer, input, roundDecimals);
            }
        }

        writer.WriteInt32(request.OutputFileNames.Count);
        foreach (var output in request.OutputFileNames)
        {
            writer.WriteString(output);
        }

        WriteParameters(ref writer, request.Request.Parameters);
        var outputs = request.Request.Outputs;
        writer.WriteInt32(outputs?.Count ?? 0);
        if (outputs is not null)
        {
            foreach (var output in outputs)
            {
                writer.WriteString(output.Name);
                WriteParameters(ref writer, output.Parameters);
            }
        }

        return writer.ToArrayAndReturn();
    }

    private static bool NamesAllPresent(IReadOnlySet<string> names, IReadOnlyList<Tensor> inputs)
    {
        var found = 0;
        foreach (var input in inputs)
        {
            if (names.Contains(input.Name))
            {
                found++;
            }
        }

        return found == names.Count;
    }

    private static int EstimateSize(string model, ValidatedRequest request, bool rounding)
    {
        long size = 64 + (model.Length * 3);
        foreach (var input in request.Inputs)
        {
            size += 64 + (input.Name.Length * 3) + (input.Shape.Length * 8);
            size += rounding && IsFloatingPoint(input.DataType) ? input.ElementCount * 8 : input.Data.Length;
        }

        return (int)Math.Min(size, Array.MaxLength);
    }

    private static void WriteTensor(ref KeyWriter writer, Tensor tensor, int? roundDecimals)
    {
        writer.WriteString(tensor.Name);
        writer.WriteByte((byte)tensor.DataType);
        writer.WriteInt32(tensor.Shape.Length);
        foreach (var dim in tensor.Shape)
        {
            writer.WriteInt64(dim);
        }

        if (tensor.Strings is { } strings)
        {
            writer.WriteInt32(strings.Length);
            foreach (var element in strings)
            {
                writer.WriteBytes(element);
            }
        }
        else if (roundDecimals is { } decimals && IsFloatingPoint(tensor.DataType))
        {
            WriteRounded(ref writer, tensor, decimals);
        }
        else
        {
            writer.WriteBytes(tensor.Data.Span);
        }
    }

    private static bool IsFloatingPoint(DataType type) => type is DataType.Fp16 or DataType.Bf16 or DataType.Fp32 or DataType.Fp64;

    private static void WriteRounded(ref KeyWriter writer, Tensor tensor, int decimals)
    {
        var data = tensor.Data.Span;
        writer.WriteInt32(data.Length / tensor.DataType.ElementSize());

        // One loop per type keeps the type test out of the per-element path.
        switch (tensor.DataType)
        {
            case DataType.Fp32:
                foreach (var value in MemoryMarshal.Cast<byte, float>(data))
                {
                    writer.WriteDouble(Rounded(value, decimals));
                }

                break;
            case DataType.Fp64:
                foreach (var value in MemoryMarshal.Cast<byte, double>(data))
                {
                    writer.WriteDouble(Rounded(value, decimals));
                }

                break;
            case DataType.Fp16:
                foreach (var value in MemoryMarshal.Cast<byte, Half>(data))
                {
                    writer.WriteDouble(Rounded((double)value, decimals));
                }

                break;
            default:
                foreach (var bits in MemoryMarshal.Cast<byte, ushort>(data))
                {
                    writer.WriteDouble(Rounded(BitConverter.Int32BitsToSingle(bits << 16), decimals));
                }

                break;
        }
    }

    private static double Rounded(double value, int decimals) => Canonical(Math.Round(value, decimals, MidpointRounding.ToEven));

    // -0.0 == 0.0 is true, so this folds -0.0 (and anything that rounded to it) into +0.0.
    private static double Canonical(double value)
        => double.IsNaN(value) ? BitConverter.Int64BitsToDouble(CanonicalNaNBits) : value == 0 ? 0.0 : value;

    private static void WriteParameters(ref KeyWriter writer, IReadOnlyDictionary<string, object> parameters)
    {
        if (parameters.Count == 0)
        {
            writer.WriteInt32(0);
            return;
        }

        var names = new List<string>(parameters.Count);
        foreach (var name in parameters.Keys)
        {
            if (!TransportParameters.Names.Contains(name))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        writer.WriteInt32(names.Count);
        foreach (var name in names)
        {
            writer.WriteString(name);
            WriteValue(ref writer, parameters[name]);
        }
    }

    private static void WriteValue(ref KeyWriter writer, object value)
    {
        switch (value)
        {
            case bool b:
                writer.WriteByte(TagBool);
                writer.WriteByte(b ? (byte)1 : (byte)0);
                break;
            case long l:
                writer.WriteByte(TagInt64);
                writer.WriteInt64(l);
                break;
            case ulong u:
                writer.WriteByte(TagUInt64);
                writer.WriteUInt64(u);
                break;
            case double d:
                writer.WriteByte(TagDouble);
                writer.WriteDouble(d);
                break;
            case string s:
                writer.WriteByte(TagString);
                writer.WriteString(s);
                break;
            default:
                // Not a protocol type; keyed on its type and invariant text so that it still counts.
                writer.WriteByte(TagOther);
                writer.WriteString(value.GetType().FullName ?? value.GetType().Name);
                writer.WriteString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }
    }
}
