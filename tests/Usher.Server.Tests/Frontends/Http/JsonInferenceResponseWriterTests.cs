using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class JsonInferenceResponseWriterTests
{
    private static JsonDocument Write(InferenceResponse response)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonInferenceResponseWriter.Write(buffer, response);
        return JsonDocument.Parse(buffer.WrittenMemory.ToArray());
    }

    private static InferenceResponse Response(params Tensor[] outputs) => new()
    {
        ModelName = "resnet",
        ModelVersion = 2,
        Outputs = outputs,
    };

    private static JsonElement SingleOutput(JsonDocument document)
        => Assert.Single(document.RootElement.GetProperty("outputs").EnumerateArray().ToArray());

    private static JsonElement[] Data(Tensor tensor)
    {
        using var document = Write(Response(tensor));
        return SingleOutput(document).GetProperty("data").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    [Fact]
    public void Write_Envelope_ModelNameVersionAsStringAndNoIdOrParameters()
    {
        using var document = Write(Response(Tensor.FromSpan<int>("y", DataType.Int32, [2, 1], [4, -5])));
        var root = document.RootElement;

        Assert.Equal("resnet", root.GetProperty("model_name").GetString());
        Assert.Equal(JsonValueKind.String, root.GetProperty("model_version").ValueKind);
        Assert.Equal("2", root.GetProperty("model_version").GetString());
        Assert.False(root.TryGetProperty("id", out _));
        Assert.False(root.TryGetProperty("parameters", out _));

        var output = SingleOutput(document);
        Assert.Equal("y", output.GetProperty("name").GetString());
        Assert.Equal("INT32", output.GetProperty("datatype").GetString());
        Assert.Equal([2L, 1L], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([4, -5], output.GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Write_IdAndParameters_WrittenWhenPresent()
    {
        var response = new InferenceResponse
        {
            ModelName = "m",
            ModelVersion = 12,
            Id = "req \"7\"",
            Parameters = new Dictionary<string, object>
            {
                ["s"] = "text",
                ["l"] = long.MinValue,
                ["u"] = ulong.MaxValue,
                ["d"] = 0.25,
                ["b"] = true,
                ["nan"] = double.NaN,
            },
            Outputs = [],
        };

        using var document = Write(response);
        var root = document.RootElement;
        Assert.Equal("12", root.GetProperty("model_version").GetString());
        Assert.Equal("req \"7\"", root.GetProperty("id").GetString());
        var parameters = root.GetProperty("parameters");
        Assert.Equal("text", parameters.GetProperty("s").GetString());
        Assert.Equal(long.MinValue, parameters.GetProperty("l").GetInt64());
        Assert.Equal(ulong.MaxValue, parameters.GetProperty("u").GetUInt64());
        Assert.Equal(0.25, parameters.GetProperty("d").GetDouble());
        Assert.True(parameters.GetProperty("b").GetBoolean());
        Assert.Equal("NaN", parameters.GetProperty("nan").GetString());
        Assert.Empty(root.GetProperty("outputs").EnumerateArray());
    }

    [Fact]
    public void Write_Fp32_EveryFiniteValueReadsBackToTheSameBits()
    {
        float[] values = [0.1f, 1f / 3, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 16777217f, -0f, 1e-38f, 123456.79f];
        var data = Data(Tensor.FromSpan<float>("y", DataType.Fp32, [values.Length], values));

        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(JsonValueKind.Number, data[i].ValueKind);
            var parsed = float.Parse(data[i].GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.SingleToUInt32Bits(values[i]), BitConverter.SingleToUInt32Bits(parsed));
        }
    }

    [Fact]
    public void Write_Fp32NonFinite_AsStrings()
    {
        var data = Data(Tensor.FromSpan<float>("y", DataType.Fp32, [3], [float.NaN, float.PositiveInfinity, float.NegativeInfinity]));
        Assert.Equal(["NaN", "Infinity", "-Infinity"], data.Select(e => e.GetString()));
    }

    [Fact]
    public void Write_Fp64_ExactAndNonFiniteAsStrings()
    {
        double[] values = [0.1, double.MaxValue, double.Epsilon, -0.0, 9007199254740993.0, double.NaN, double.NegativeInfinity];
        var data = Data(Tensor.FromSpan<double>("y", DataType.Fp64, [values.Length], values));

        for (var i = 0; i < 5; i++)
        {
            var parsed = double.Parse(data[i].GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.DoubleToUInt64Bits(values[i]), BitConverter.DoubleToUInt64Bits(parsed));
        }

        Assert.Equal("NaN", data[5].GetString());
        Assert.Equal("-Infinity", data[6].GetString());
    }

    [Fact]
    public void Write_Fp16_AsNumbersThatReadBackExactly()
    {
        Half[] values = [(Half)0.1, Half.MaxValue, Half.Epsilon, (Half)(-2.5), Half.NaN];
        var data = Data(Tensor.FromSpan<Half>("y", DataType.Fp16, [values.Length], values));

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(JsonValueKind.Number, data[i].ValueKind);
            var parsed = Half.Parse(data[i].GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.HalfToUInt16Bits(values[i]), BitConverter.HalfToUInt16Bits(parsed));
        }

        Assert.Equal("NaN", data[4].GetString());
    }

    [Fact]
    public void Write_Bf16_AsTheFloatOfTheSameValue()
    {
        // 0x3F80 = 1, 0x4049 = 3.140625, 0xC000 = -2, 0x0001 = 2^-133, 0x7F80 = infinity.
        ushort[] bits = [0x3F80, 0x4049, 0xC000, 0x0001, 0x7F80];
        var data = Data(Tensor.FromSpan<ushort>("y", DataType.Bf16, [bits.Length], bits));

        Assert.Equal(1.0, data[0].GetDouble());
        Assert.Equal(3.140625, data[1].GetDouble());
        Assert.Equal(-2.0, data[2].GetDouble());
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x00010000), float.Parse(data[3].GetRawText(), CultureInfo.InvariantCulture));
        Assert.Equal("Infinity", data[4].GetString());
    }

    [Fact]
    public void Write_Integers_ExactAtTheExtremes()
    {
        Assert.Equal([ulong.MaxValue, 0UL], Data(Tensor.FromSpan<ulong>("y", DataType.UInt64, [2], [ulong.MaxValue, 0])).Select(e => e.GetUInt64()));
        Assert.Equal([long.MinValue, long.MaxValue], Data(Tensor.FromSpan<long>("y", DataType.Int64, [2], [long.MinValue, long.MaxValue])).Select(e => e.GetInt64()));
        Assert.Equal([uint.MaxValue], Data(Tensor.FromSpan<uint>("y", DataType.UInt32, [1], [uint.MaxValue])).Select(e => e.GetUInt32()));
        Assert.Equal([short.MinValue, (short)7], Data(Tensor.FromSpan<short>("y", DataType.Int16, [2], [short.MinValue, 7])).Select(e => e.GetInt16()));
        Assert.Equal([(ushort)65535], Data(Tensor.FromSpan<ushort>("y", DataType.UInt16, [1], [65535])).Select(e => e.GetUInt16()));
        Assert.Equal([(sbyte)-128, (sbyte)127], Data(Tensor.FromSpan<sbyte>("y", DataType.Int8, [2], [-128, 127])).Select(e => e.GetSByte()));
        Assert.Equal([(byte)0, (byte)255], Data(Tensor.FromBytes("y", DataType.UInt8, [2], new byte[] { 0, 255 })).Select(e => e.GetByte()));
    }

    [Fact]
    public void Write_Bool_AsTrueFalse()
        => Assert.Equal(
            [true, false, true],
            Data(Tensor.FromBytes("y", DataType.Bool, [3], new byte[] { 1, 0, 2 })).Select(e => e.GetBoolean()));

    [Fact]
    public void Write_Bytes_Utf8StringsAndReplacementForInvalid()
    {
        var tensor = Tensor.FromStrings("y", [4], ["abc"u8.ToArray(), [0xC3, 0xA9], [0x61, 0xFF, 0x62], "q\"\n<"u8.ToArray()]);
        var data = Data(tensor);
        Assert.Equal(["abc", "é", "a\uFFFDb", "q\"\n<"], data.Select(e => e.GetString()));
    }

    [Fact]
    public void Write_ThenRead_RoundTripsThroughTheRequestReader()
    {
        // What the writer emits as an output's data is what the reader takes as an input's data.
        float[] values = [0.1f, float.NaN, float.NegativeInfinity, -0f, float.Epsilon, 3.4028235e38f];
        using var document = Write(Response(Tensor.FromSpan<float>("y", DataType.Fp32, [2, 3], values)));
        var output = SingleOutput(document);
        var request = "{\"inputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":" + output.GetProperty("shape").GetRawText()
            + ",\"data\":" + output.GetProperty("data").GetRawText() + "}]}";

        var read = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes(request), "m", null);
        Assert.True(read.IsSuccess, read.Error?.Message);
        var roundTripped = read.Value.Inputs[0].AsSpan<float>().ToArray();
        Assert.Equal(values.Select(BitConverter.SingleToUInt32Bits), roundTripped.Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void WriteError_ErrorObjectWithEscapedMessage()
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonInferenceResponseWriter.WriteError(buffer, "input 'x': expected \"FP32\"\n");
        using var document = JsonDocument.Parse(buffer.WrittenMemory.ToArray());
        var property = Assert.Single(document.RootElement.EnumerateObject().ToArray());
        Assert.Equal("error", property.Name);
        Assert.Equal("input 'x': expected \"FP32\"\n", property.Value.GetString());
    }

    [Fact]
    public void Write_SmallOutputs_AskTheOutputForNoMoreThanOneBlock()
    {
        // A response pipe's blocks are 4 KiB; asking for more puts a few numbers in a buffer of their own.
        var output = new HintRecordingWriter();
        JsonInferenceResponseWriter.Write(output, Response(
            Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [0.25f, 0.75f]),
            Tensor.FromSpan<long>("label", DataType.Int64, [1], [1L])));

        Assert.InRange(output.LargestHint, 1, 4096);
        using var document = JsonDocument.Parse(output.Inner.WrittenMemory);
        var outputs = document.RootElement.GetProperty("outputs");
        Assert.Equal(new[] { 0.25, 0.75 }, outputs[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(1, outputs[1].GetProperty("data")[0].GetInt64());
    }

    [Fact]
    public void Write_ResponsesInARowOnOneThread_EachIsACompleteDocumentOfItsOwn()
    {
        // The JSON writer is the thread's and reused: nothing of one response may leak into the next.
        var first = new ArrayBufferWriter<byte>();
        var second = new ArrayBufferWriter<byte>();
        JsonInferenceResponseWriter.Write(first, Response(Tensor.FromSpan<float>("a", DataType.Fp32, [1], [1.5f])));
        JsonInferenceResponseWriter.Write(second, Response(Tensor.FromSpan<float>("b", DataType.Fp32, [1], [2.5f])));

        Assert.Equal(
            "{\"model_name\":\"resnet\",\"model_version\":\"2\",\"outputs\":[{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[2.5]}]}",
            Encoding.UTF8.GetString(second.WrittenSpan));
        Assert.StartsWith("{\"model_name\":\"resnet\"", Encoding.UTF8.GetString(first.WrittenSpan), StringComparison.Ordinal);
        Assert.EndsWith("\"data\":[1.5]}]}", Encoding.UTF8.GetString(first.WrittenSpan), StringComparison.Ordinal);
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> that remembers the largest room asked of it.</summary>
    private sealed class HintRecordingWriter : IBufferWriter<byte>
    {
        public ArrayBufferWriter<byte> Inner { get; } = new();

        public int LargestHint { get; private set; }

        public void Advance(int count) => Inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            LargestHint = Math.Max(LargestHint, sizeHint);
            return Inner.GetMemory(sizeHint);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            LargestHint = Math.Max(LargestHint, sizeHint);
            return Inner.GetSpan(sizeHint);
        }
    }
}
