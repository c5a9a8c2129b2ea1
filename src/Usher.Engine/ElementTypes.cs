using Usher.Core.Tensors;

namespace Usher.Engine;

/// <summary>The protocol datatype of a .NET element type (the JIT folds these checks to a constant).</summary>
internal static class ElementTypes
{
    /// <summary>The datatype of <typeparamref name="T"/>, or null for a type no datatype holds.</summary>
    public static DataType? Of<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return DataType.Fp32;
        }

        if (typeof(T) == typeof(double))
        {
            return DataType.Fp64;
        }

        if (typeof(T) == typeof(int))
        {
            return DataType.Int32;
        }

        if (typeof(T) == typeof(long))
        {
            return DataType.Int64;
        }

        if (typeof(T) == typeof(byte))
        {
            return DataType.UInt8;
        }

        if (typeof(T) == typeof(sbyte))
        {
            return DataType.Int8;
        }

        if (typeof(T) == typeof(short))
        {
            return DataType.Int16;
        }

        if (typeof(T) == typeof(ushort))
        {
            return DataType.UInt16;
        }

        if (typeof(T) == typeof(uint))
        {
            return DataType.UInt32;
        }

        if (typeof(T) == typeof(ulong))
        {
            return DataType.UInt64;
        }

        if (typeof(T) == typeof(bool))
        {
            return DataType.Bool;
        }

        return typeof(T) == typeof(Half) ? DataType.Fp16 : null;
    }

    /// <summary>True when <typeparamref name="T"/> holds elements of <paramref name="type"/>.</summary>
    public static bool Holds<T>(DataType type)
        where T : unmanaged
        => Of<T>() == type;

    /// <summary>The C# name of the element type of a datatype, for messages.</summary>
    public static string ClrName(DataType type) => type switch
    {
        DataType.Fp32 => "float",
        DataType.Fp64 => "double",
        DataType.Int32 => "int",
        DataType.Int64 => "long",
        DataType.UInt8 => "byte",
        DataType.Int8 => "sbyte",
        DataType.Int16 => "short",
        DataType.UInt16 => "ushort",
        DataType.UInt32 => "uint",
        DataType.UInt64 => "ulong",
        DataType.Bool => "bool",
        DataType.Fp16 => "Half",
        _ => type.ToProtocolName(),
    };
}
