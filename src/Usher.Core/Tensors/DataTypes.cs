namespace Usher.Core.Tensors;

/// <summary>Protocol names and element sizes of <see cref="DataType"/>.</summary>
internal static class DataTypes
{
    private static readonly string[] Names =
        ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "BF16", "FP32", "FP64", "BYTES"];

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
