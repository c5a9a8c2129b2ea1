using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Usher.Cli.Bench;

namespace Usher.Cli.Tests.Bench;

public sealed class RequestEncoderTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("""
        {"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[[0.5,-2,3.25]]},{"name":"ids","shape":[2],"datatype":"INT64","data":[7,9]}]}
        """);

    [Fact]
    public void ToBinary_HeaderThenLittleEndianTensors_InInputOrder()
    {
        var (body, headerLength) = RequestEncoder.ToBinary(Json);

        using var header = JsonDocument.Parse(body.AsMemory(0, headerLength));
        var inputs = header.RootElement.GetProperty("inputs");
        Assert.Equal(12, inputs[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.Equal(16, inputs[1].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.False(inputs[0].TryGetProperty("data", out _));
        Assert.True(header.RootElement.GetProperty("parameters").GetProperty("binary_data_output").GetBoolean());
        var blob = body.AsSpan(headerLength);
        Assert.Equal(28, blob.Length);
        Assert.Equal([0.5f, -2f, 3.25f], [BinaryPrimitives.ReadSingleLittleEndian(blob), BinaryPrimitives.ReadSingleLittleEndian(blob[4..]), BinaryPrimitives.ReadSingleLittleEndian(blob[8..])]);
        Assert.Equal([7L, 9L], [BinaryPrimitives.ReadInt64LittleEndian(blob[12..]), BinaryPrimitives.ReadInt64LittleEndian(blob[20..])]);
    }
}
