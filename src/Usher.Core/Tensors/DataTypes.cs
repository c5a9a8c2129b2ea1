namespace Usher.Core.Tensors;

/// <summary>Protocol names and element sizes of <see cref="DataType"/>.</summary>
internal static class DataTypes
{
    private static readonly string[] Names =
        ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "BF16", "FP32", "FP64", "BYTES"];

    // The same names as UTF-8, for decoders that read a request's bytes without making strings of them.
    private static readonly byte[][] Utf8Names = [.. Names.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>Every protocol datatype name, in enum order.</summary>
    public static IReadOnlyList<string> ProtocolNames => Names;

    /// <summary>The protocol's name of the type, e.g. <c>FP32</c>.</summary>
    public static string ToProtocolName(this DataType type) => Names[(int)type];

    /// <summary>Parses a protocol datatype name; names are case-sensitive, as in the protocol.</summary>
    public static bool TryParse(string? name, out DataType type)
    {
        var index = name is null ? -1 : Array.IndexOf(Names, name);
        type = index < 0 ? default : (DataType)index;
        return index >= 0;
    }

    /// <summary>
    /// <see cref="TryParse(string?, out DataType)"/> on the name's UTF-8 bytes (unescaped), so that a
    /// decoder does not allocate a string per tensor to learn its type.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Name, out DataType type)
    {
        for (var i = 0; i < Utf8Names.Length; i++)
        {
            if (utf8Name.SequenceEqual(Utf8Names[i]))
            {
                type = (DataType)i;
                return true;
            }
        }

        type = default;
        return false;
    }

    /// <summary>Bytes per element, or 0 for <see cref="DataType.Bytes"/>, whose elements vary in size.</summary>
    public static int ElementSize(this DataType type) => type switch
    {
        DataType.Bool or DataType.UInt8 or DataType.Int8 => 1,
        DataType.UInt16 or DataType.Int16 or DataType.Fp16 or DataType.Bf16 => 2,
        DataType.UInt32 or DataType.Int32 or DataType.Fp32 => 4,
        DataType.UInt64 or DataType.Int64 or DataType.Fp64 => 8,
        DataType.Bytes => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown datatype"),
    };
}
