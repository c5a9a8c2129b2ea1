using System.Text;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Tensors;

public sealed class DataTypesTests
{
    [Fact]
    public void TryParse_Utf8ProtocolName_IsTheTypeTheStringNames()
    {
        foreach (var type in Enum.GetValues<DataType>())
        {
            Check(type);
        }
    }

    private static void Check(DataType type)
    {
        // The protocol's spelling, written here rather than taken from ToProtocolName.
        var name = type switch
        {
            DataType.Bool => "BOOL",
            DataType.UInt8 => "UINT8",
            DataType.UInt16 => "UINT16",
            DataType.UInt32 => "UINT32",
            DataType.UInt64 => "UINT64",
            DataType.Int8 => "INT8",
            DataType.Int16 => "INT16",
            DataType.Int32 => "INT32",
            DataType.Int64 => "INT64",
            DataType.Fp16 => "FP16",
            DataType.Bf16 => "BF16",
            DataType.Fp32 => "FP32",
            DataType.Fp64 => "FP64",
            DataType.Bytes => "BYTES",
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        Assert.True(DataTypes.TryParse(Encoding.UTF8.GetBytes(name), out var fromBytes));
        Assert.Equal(type, fromBytes);
        Assert.True(DataTypes.TryParse(name, out var fromString));
        Assert.Equal(type, fromString);
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("FP3")]
    [InlineData("FP322")]
    [InlineData("")]
    [InlineData("TYPE_FP32")]
    public void TryParse_Utf8OtherName_IsRejectedAsTheStringIs(string name)
    {
        Assert.False(DataTypes.TryParse(Encoding.UTF8.GetBytes(name), out _));
        Assert.False(DataTypes.TryParse(name, out _));
    }
}
