using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Frontends;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class JsonInferenceRequestReaderTests
{
    private static InferenceResult<InferenceRequest> Read(string json)
        => JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes(json), "m", 2);

    private static InferenceRequest ReadOk(string json)
    {
        var result = Read(json);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    private static string ReadError(string json)
    {
        var result = Read(json);
        Assert.False(result.IsSuccess, "expected an error");
        Assert.Equal(InferenceErrorKind.InvalidArgument, result.Error.Kind);
        return result.Error.Message;
    }

    private static Tensor ReadTensor(string datatype, string shape, string data)
        => Assert.Single(ReadOk($$"""{"inputs":[{"name":"x","datatype":"{{datatype}}","shape":{{shape}},"data":{{data}}}]}""").Inputs);

    private static string TensorError(string datatype, string shape, string data)
        => ReadError($$"""{"inputs":[{"name":"x","datatype":"{{datatype}}","shape":{{shape}},"data":{{data}}}]}""");

    [Fact]
    public void Read_FullRequest_KeepsModelIdParametersAndOrder()
    {
        var request = ReadOk("""
            {"id":"r-1","parameters":{"priority":3},
             "inputs":[{"name":"a","shape":[1],"datatype":"INT32","data":[7]},
                       {"name":"b","shape":[1],"datatype":"INT32","data":[8]}]}
            """);

        Assert.Equal("m", request.ModelName);
        Assert.Equal(2, request.ModelVersion);
        Assert.Equal("r-1", request.Id);
        Assert.Equal(3L, request.Parameters["priority"]);
        Assert.Equal(["a", "b"], request.Inputs.Select(t => t.Name));
        Assert.Null(request.Outputs);
    }

    [Fact]
    public void Read_WithoutId_LeavesIdNull()
        => Assert.Null(ReadOk("""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}]}""").Id);

    [Fact]
    public void Read_FieldsInAnyOrder_DataBeforeDatatypeAndShape()
    {
        var request = ReadOk("""{"inputs":[{"data":[[1,2],[3,4]],"datatype":"UINT8","name":"x","shape":[2,2]}],"id":"z"}""");
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, request.Inputs[0].Data.ToArray());
        Assert.Equal("z", request.Id);
    }

    /// <summary>
    /// A request in the usual field order is decoded in one pass; with <c>data</c> first it goes
    /// through the full reader. Both must give the same bytes.
    /// </summary>
    [Theory]
    [InlineData("FP32", "[2,3]", "[[1.5,-2,3e-7],[4,5.25,-6]]")]
    [InlineData("FP32", "[6]", "[1.5,-2,3e-7,4,5.25,\"NaN\"]")]
    [InlineData("FP64", "[1,2]", "[[0.1,-1e300]]")]
    [InlineData("INT64", "[3]", "[9223372036854775807,-9223372036854775808,0]")]
    [InlineData("UINT8", "[2,2,1]", "[[[1],[2]],[[3],[255]]]")]
    [InlineData("BOOL", "[2]", "[true,false]")]
    [InlineData("FP16", "[2]", "[0.1,\"-Infinity\"]")]
    [InlineData("BF16", "[]", "1.5")]
    [InlineData("INT32", "[0]", "[]")]
    public void Read_SinglePassAndFullReader_AgreeOnTheBytes(string datatype, string shape, string data)
    {
        using var usual = RequestMemory.Unbounded(long.MaxValue);
        using var dataFirst = RequestMemory.Unbounded(long.MaxValue);
        var one = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"name\":\"x\",\"shape\":{shape},\"datatype\":\"{datatype}\",\"data\":{data}}}]}}"), "m", null, usual);
        var full = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"data\":{data},\"name\":\"x\",\"shape\":{shape},\"datatype\":\"{datatype}\"}}]}}"), "m", null, dataFirst);
        Assert.True(one.IsSuccess, one.Error?.Message);
        Assert.True(full.IsSuccess, full.Error?.Message);
        Assert.Equal(full.Value.Inputs[0].Data.ToArray(), one.Value.Inputs[0].Data.ToArray());
        Assert.Equal(full.Value.Inputs[0].Shape, one.Value.Inputs[0].Shape);
    }

    /// <summary>
    /// Data that the one-pass scan of a numeric array must read exactly as the token reader does, or
    /// give up on so that the full reader (the same request with <c>data</c> first) words the error.
    /// </summary>
    [Theory]
    [InlineData("FP32", "[4]", "[ 1 ,\t-0 ,\r\n1e-3,  2E+2 ]")]
    [InlineData("FP32", "[4]", "[1.401298464324817e-45,3.4028235e38,0.10000000149011612,16777217]")]
    [InlineData("FP32", "[3]", "[1e-50,-1e-50,7.006492321624086e-46]")]
    [InlineData("FP32", "[2]", "[1e39,0]")]
    [InlineData("FP32", "[2]", "[1,\"NaN\"]")]
    [InlineData("FP32", "[3]", "[\"Infinity\",\"-Infinity\",\"N\\u0061N\"]")]
    [InlineData("FP32", "[2]", "[1,\"nan\"]")]
    [InlineData("FP32", "[2]", "[1,\"NaN\" ]")]
    [InlineData("FP32", "[2]", "[1,2,]")]
    [InlineData("FP32", "[2]", "[01,2]")]
    [InlineData("FP32", "[2]", "[1.,2]")]
    [InlineData("FP32", "[2]", "[.5,2]")]
    [InlineData("FP32", "[2]", "[+1,2]")]
    [InlineData("FP32", "[2]", "[1 2]")]
    [InlineData("FP32", "[2]", "[1,,2]")]
    [InlineData("FP32", "[2]", "[1,true]")]
    [InlineData("FP32", "[2]", "[1,null]")]
    [InlineData("FP32", "[2]", "[-,2]")]
    [InlineData("FP32", "[2]", "[1e,2]")]
    [InlineData("FP32", "[2]", "[1,2")]
    [InlineData("FP32", "[2]", "[1,2]]")]
    [InlineData("FP32", "[3]", "[1,2, 3]")]
    [InlineData("FP32", "[3]", "[1,2,\n3]")]
    [InlineData("FP32", "[3]", "[1,2,[3]]")]
    [InlineData("FP32", "[3]", "[1,2,\"NaN\"]")]
    [InlineData("FP32", "[2]", "[1,2,3]")]
    [InlineData("FP32", "[2,2]", "[[1,2],[3,4,5]]")]
    [InlineData("FP32", "[2,2]", "[[1,2,3],[4]]")]
    [InlineData("FP32", "[2,2]", "[[1,2] , [ 3 , 4 ] ]")]
    [InlineData("FP32", "[2,2]", "[[1,2],[3]]")]
    [InlineData("FP32", "[2,2]", "[[1,2],[3,4],[5,6]]")]
    [InlineData("FP32", "[2,2]", "[[1,2],3,4]")]
    [InlineData("FP32", "[2,2]", "[1,2,3,4]")]
    [InlineData("FP32", "[2,2]", "[1,2,[3,4]]")]
    [InlineData("FP32", "[2,0]", "[[],[]]")]
    [InlineData("FP32", "[2,0]", "[]")]
    [InlineData("FP32", "[0,2]", "[]")]
    [InlineData("FP32", "[4]", "[[1,2],[3,4]]")]
    [InlineData("FP32", "[3]", "[1,2]")]
    [InlineData("FP32", "[3]", "[1,2,3,4]")]
    [InlineData("FP32", "[]", "[2.5]")]
    [InlineData("FP32", "[]", "2.5")]
    [InlineData("FP64", "[4]", "[0.1,-1e-320,1.7976931348623157e308,0.30000000000000004]")]
    [InlineData("FP64", "[1]", "[1e309]")]
    [InlineData("INT32", "[3]", "[-0,2147483647,-2147483648]")]
    [InlineData("INT32", "[1]", "[2147483648]")]
    [InlineData("INT32", "[1]", "[1.0]")]
    [InlineData("INT32", "[1]", "[1e2]")]
    [InlineData("INT32", "[1]", "[\"1\"]")]
    [InlineData("UINT32", "[1]", "[-0]")]
    [InlineData("UINT8", "[2]", "[-1,0]")]
    [InlineData("UINT64", "[1]", "[18446744073709551615]")]
    [InlineData("UINT64", "[1]", "[18446744073709551616]")]
    [InlineData("INT64", "[2]", "[1e3,1]")]
    [InlineData("INT16", "[2,1]", "[[32767],[-32768]]")]
    [InlineData("INT8", "[2]", "[127,-129]")]
    public void Read_OnePassScan_AgreesWithTheFullReader(string datatype, string shape, string data)
        => AssertOnePassAgrees(datatype, shape, data);

    /// <summary>Nested data as deep as the JSON reader's depth limit allows, and one level deeper.</summary>
    [Theory]
    [InlineData(RequestLimits.MaxDimensions - 4)]
    [InlineData(RequestLimits.MaxDimensions - 3)]
    [InlineData(RequestLimits.MaxDimensions - 2)]
    public void Read_DeeplyNestedData_OnePassAgreesWithTheFullReader(int rank)
    {
        var shape = "[" + string.Join(',', Enumerable.Repeat(1, rank)) + "]";
        var data = new string('[', rank) + "7" + new string(']', rank);
        AssertOnePassAgrees("INT32", shape, data);
    }

    /// <summary>Random numeric arrays, cut or changed at a random byte: the one pass and the full reader agree on every one.</summary>
    [Fact]
    public void Read_RandomlyDamagedData_OnePassAgreesWithTheFullReader()
    {
        var random = new Random(21);
        string[] types = ["FP32", "FP64", "INT32", "INT64", "UINT8"];
        string[] noise = ["", " ", ",", "[", "]", "-", ".", "e", "0", "\"NaN\"", "1e39", "\n"];
        for (var i = 0; i < 3_000; i++)
        {
            var type = types[random.Next(types.Length)];
            var rows = random.Next(0, 3);
            var columns = random.Next(0, 4);
            var values = Enumerable.Range(0, rows * columns).Select(_ => type switch
            {
                "FP32" or "FP64" => ((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-50, 50))).ToString(random.Next(2) == 0 ? "R" : "E", System.Globalization.CultureInfo.InvariantCulture),
                "UINT8" => random.Next(0, 300).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => ((random.NextInt64() >> random.Next(20, 64)) - (random.NextInt64() >> random.Next(20, 64))).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).ToArray();
            var nested = random.Next(2) == 0;
            var data = nested
                ? "[" + string.Join(", ", Enumerable.Range(0, rows).Select(r => "[" + string.Join(',', values.Skip(r * columns).Take(columns)) + "]")) + "]"
                : "[" + string.Join(random.Next(2) == 0 ? " ," : ",", values) + "]";
            if (random.Next(2) == 0)
            {
                var at = random.Next(1, data.Length);
                data = random.Next(2) == 0
                    ? data[..at] + noise[random.Next(noise.Length)] + data[at..]
                    : data[..(at - 1)] + data[at..];
            }

            AssertOnePassAgrees(type, $"[{rows},{columns}]", data);
        }
    }

    [Fact]
    public void Read_FieldsAfterScannedData_AreKept()
    {
        var request = ReadOk("""
            {"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[0.5, -1.5]},
                       {"name":"b","shape":[1,2],"datatype":"INT64","data":[[7,8]]}],
             "id":"after","outputs":[{"name":"y"}],"parameters":{"p":1}}
            """);
        Assert.Equal("after", request.Id);
        Assert.Equal(["y"], request.Outputs!.Select(o => o.Name));
        Assert.Equal(1L, request.Parameters["p"]);
        Assert.Equal([0.5f, -1.5f], request.Inputs[0].AsSpan<float>().ToArray());
        Assert.Equal([7L, 8L], request.Inputs[1].AsSpan<long>().ToArray());
    }

    [Fact]
    public void Read_GarbageAfterScannedData_IsMalformedJson()
        => Assert.Contains("JSON", ReadError("""{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]} x"""));

    private static void AssertOnePassAgrees(string datatype, string shape, string data)
    {
        using var usual = RequestMemory.Unbounded(long.MaxValue);
        using var dataFirst = RequestMemory.Unbounded(long.MaxValue);
        var one = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"name\":\"x\",\"shape\":{shape},\"datatype\":\"{datatype}\",\"data\":{data}}}]}}"), "m", null, usual);
        var full = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes($"{{\"inputs\":[{{\"data\":{data},\"name\":\"x\",\"shape\":{shape},\"datatype\":\"{datatype}\"}}]}}"), "m", null, dataFirst);
        Assert.True(full.IsSuccess == one.IsSuccess, $"{datatype} {shape} {data}: one pass {(one.IsSuccess ? "read it" : one.Error.Message)}, full reader {(full.IsSuccess ? "read it" : full.Error.Message)}");
        if (full.IsSuccess && one.IsSuccess)
        {
            Assert.Equal(full.Value.Inputs[0].Data.ToArray(), one.Value.Inputs[0].Data.ToArray());
        }
        else if (!full.IsSuccess && !one.IsSuccess && !full.Error.Message.Contains("JSON", StringComparison.Ordinal))
        {
            // A malformed body's position differs with the field order; every other message is the same.
            Assert.Equal(full.Error.Message, one.Error.Message);
        }
    }

    [Fact]
    public void Read_Sequence_ReadsTheSameAsMemory()
    {
        var json = """{"inputs":[{"name":"x","shape":[2],"datatype":"INT16","data":[-2,3]}]}"""u8.ToArray();
        var result = JsonInferenceRequestReader.Read(new ReadOnlySequence<byte>(json), "m", null);
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Null(result.Value.ModelVersion);
        Assert.Equal(new byte[] { 0xFE, 0xFF, 3, 0 }, result.Value.Inputs[0].Data.ToArray());
    }

    [Fact]
    public void Read_MultiSegmentSequence_ReadsAcrossSegments()
    {
        var json = """{"inputs":[{"name":"x","shape":[3],"datatype":"BYTES","data":["abc","de","f"]}]}"""u8.ToArray();
        var first = new Segment(json.AsMemory(0, 45), 0);
        var last = first.Append(json.AsMemory(45));
        var result = JsonInferenceRequestReader.Read(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), "m", null);
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(new[] { "abc"u8.ToArray(), "de"u8.ToArray(), "f"u8.ToArray() }, result.Value.Inputs[0].Strings);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    // ---- every datatype to exact little-endian bytes ----

    [Fact]
    public void Read_Bool_OneByteEach()
    {
        var tensor = ReadTensor("BOOL", "[3]", "[true,false,true]");
        Assert.Equal(DataType.Bool, tensor.DataType);
        Assert.Equal(new byte[] { 1, 0, 1 }, tensor.Data.ToArray());
    }

    [Fact]
    public void Read_UInt8_Extremes()
        => Assert.Equal(new byte[] { 0, 255, 7 }, ReadTensor("UINT8", "[3]", "[0,255,7]").Data.ToArray());

    [Fact]
    public void Read_Int8_Extremes()
        => Assert.Equal(new byte[] { 0x80, 0x7F, 0xFF }, ReadTensor("INT8", "[3]", "[-128,127,-1]").Data.ToArray());

    [Fact]
    public void Read_UInt16_LittleEndian()
    {
        var expected = new byte[6];
        BinaryPrimitives.WriteUInt16LittleEndian(expected, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(expected.AsSpan(2), 65535);
        BinaryPrimitives.WriteUInt16LittleEndian(expected.AsSpan(4), 258);
        Assert.Equal(expected, ReadTensor("UINT16", "[3]", "[0,65535,258]").Data.ToArray());
    }

    [Fact]
    public void Read_Int16_LittleEndian()
    {
        var expected = new byte[4];
        BinaryPrimitives.WriteInt16LittleEndian(expected, short.MinValue);
        BinaryPrimitives.WriteInt16LittleEndian(expected.AsSpan(2), short.MaxValue);
        Assert.Equal(expected, ReadTensor("INT16", "[2]", "[-32768,32767]").Data.ToArray());
    }

    [Fact]
    public void Read_UInt32_LittleEndian()
    {
        var expected = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(expected, uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(4), 16909060);
        Assert.Equal(expected, ReadTensor("UINT32", "[2]", "[4294967295,16909060]").Data.ToArray());
    }

    [Fact]
    public void Read_Int32_LittleEndian()
    {
        var expected = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(expected, int.MinValue);
        BinaryPrimitives.WriteInt32LittleEndian(expected.AsSpan(4), int.MaxValue);
        Assert.Equal(expected, ReadTensor("INT32", "[2]", "[-2147483648,2147483647]").Data.ToArray());
    }

    [Fact]
    public void Read_UInt64Max_IsExact()
    {
        var expected = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(expected, ulong.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(expected.AsSpan(8), 9007199254740993);
        Assert.Equal(expected, ReadTensor("UINT64", "[2]", "[18446744073709551615,9007199254740993]").Data.ToArray());
    }

    [Fact]
    public void Read_Int64MinAndMax_AreExact()
    {
        var expected = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(expected, long.MinValue);
        BinaryPrimitives.WriteInt64LittleEndian(expected.AsSpan(8), long.MaxValue);
        Assert.Equal(expected, ReadTensor("INT64", "[2]", "[-9223372036854775808,9223372036854775807]").Data.ToArray());
    }

    [Fact]
    public void Read_Fp16_RoundsToNearestHalf()
    {
        // 1.5 = 0x3E00, -0.1 -> nearest half 0xAE66, 65504 = largest half 0x7BFF, 6e-8 -> smallest subnormal 0x0001.
        var tensor = ReadTensor("FP16", "[4]", "[1.5,-0.1,65504,6e-8]");
        var bits = Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(tensor.Data.Span[(i * 2)..])).ToArray();
        Assert.Equal(new ushort[] { 0x3E00, 0xAE66, 0x7BFF, 0x0001 }, bits);
    }

    [Fact]
    public void Read_Bf16_RoundsToNearestEven()
    {
        // 1+2^-8 is halfway between 0x3F80 and 0x3F81: ties to even 0x3F80.
        // 1+3*2^-8 is halfway between 0x3F81 and 0x3F82: ties to even 0x3F82.
        // 1+2^-8+2^-20 is just above halfway: rounds up to 0x3F81.
        var tensor = ReadTensor("BF16", "[5]", "[1.00390625,1.01171875,1.0039072036743164,3.140625,-2]");
        var bits = Enumerable.Range(0, 5).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(tensor.Data.Span[(i * 2)..])).ToArray();
        Assert.Equal(new ushort[] { 0x3F80, 0x3F82, 0x3F81, 0x4049, 0xC000 }, bits);
    }

    [Fact]
    public void Read_Fp32_ExactBitsAndSpecialStrings()
    {
        var tensor = ReadTensor("FP32", "[7]", """[0.1,-1e-45,3.4028235e38,16777217,"NaN","Infinity","-Infinity"]""");
        var expected = new byte[28];
        float[] values = [0.1f, -float.Epsilon, float.MaxValue, 16777216f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(expected.AsSpan(i * 4), values[i]);
        }

        Assert.Equal(expected, tensor.Data.ToArray());
    }

    [Fact]
    public void Read_Fp64_ExactBits()
    {
        var tensor = ReadTensor("FP64", "[4]", """[0.1,1.7976931348623157e308,-0.0,"-Infinity"]""");
        var expected = new byte[32];
        double[] values = [0.1, double.MaxValue, -0.0, double.NegativeInfinity];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(expected.AsSpan(i * 8), BitConverter.DoubleToInt64Bits(values[i]));
        }

        Assert.Equal(expected, tensor.Data.ToArray());
    }

    [Fact]
    public void Read_Bytes_StoresUtf8IncludingEscapes()
    {
        var tensor = ReadTensor("BYTES", "[5]", """["abc","é","","a\nb","\u00e9\ud83d\ude00"]""");
        Assert.Equal(DataType.Bytes, tensor.DataType);
        Assert.True(tensor.Data.IsEmpty);
        Assert.Equal(
            new[] { "abc"u8.ToArray(), new byte[] { 0xC3, 0xA9 }, [], "a\nb"u8.ToArray(), [0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80] },
            tensor.Strings);
    }

    // ---- layout: flat, nested, scalars ----

    [Theory]
    [InlineData("[2,3]", "[1,2,3,4,5,6]")]
    [InlineData("[2,3]", "[[1,2,3],[4,5,6]]")]
    [InlineData("[3,2]", "[[1,2],[3,4],[5,6]]")]
    [InlineData("[1,2,3]", "[[[1,2,3],[4,5,6]]]")]
    [InlineData("[2,1,3]", "[[[1,2,3]],[[4,5,6]]]")]
    [InlineData("[6]", "[1,2,3,4,5,6]")]
    [InlineData("[1,6]", "[[1,2,3,4,5,6]]")]
    public void Read_FlatOrNested_SameRowMajorElements(string shape, string data)
    {
        var tensor = ReadTensor("INT32", shape, data);
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, tensor.AsSpan<int>().ToArray());
        Assert.Equal(shape, TensorShape.Format(tensor.Shape));
    }

    [Theory]
    [InlineData("[2,0]", "[[],[]]")]
    [InlineData("[2,0]", "[]")]
    [InlineData("[0]", "[]")]
    [InlineData("[0,9223372036854775807,9223372036854775807]", "[]")]
    public void Read_EmptyTensor_HasNoElements(string shape, string data)
        => Assert.Equal(0, ReadTensor("FP32", shape, data).Data.Length);

    [Theory]
    [InlineData("5")]
    [InlineData("[5]")]
    public void Read_Scalar_TakesBareValueOrOneElementArray(string data)
    {
        var tensor = ReadTensor("INT64", "[]", data);
        Assert.Empty(tensor.Shape);
        Assert.Equal(new[] { 5L }, tensor.AsSpan<long>().ToArray());
    }

    [Fact]
    public void Read_Scalar_WrongElementIsNamed()
        => Assert.Equal("input 'x' element 0: expected true or false for BOOL, got 1", TensorError("BOOL", "[]", "1"));

    [Fact]
    public void Read_ScalarWithTwoElements_Rejected()
        => Assert.Equal("input 'x': shape [] needs 1 element, got 2", TensorError("INT64", "[]", "[1,2]"));

    [Fact]
    public void Read_BareValueForNonScalar_Rejected()
        => Assert.Equal("input 'x': 'data' must be an array for INT32 [3], got 5", TensorError("INT32", "[3]", "5"));

    [Fact]
    public void Read_FlatCountMismatch_SaysNeededAndGot()
        => Assert.Equal("input 'x': shape [2,3] needs 6 elements, got 5", TensorError("FP32", "[2,3]", "[1,2,3,4,5]"));

    [Fact]
    public void Read_NestedInnerLengthWrong_NamesThePath()
        => Assert.Equal(
            "input 'x': nested data must match shape [2,3]: data[1] has 2 items, expected 3",
            TensorError("INT32", "[2,3]", "[[1,2,3],[4,5]]"));

    [Fact]
    public void Read_NestedOuterLengthWrong_NamesTheTop()
        => Assert.Equal(
            "input 'x': nested data must match shape [2,3]: data has 1 items, expected 2",
            TensorError("INT32", "[2,3]", "[[1,2,3]]"));

    [Fact]
    public void Read_NestedMixedWithScalar_Rejected()
        => Assert.Equal(
            "input 'x': nested data must match shape [2,3]: data[1] is 4, expected an array of 3",
            TensorError("INT32", "[2,3]", "[[1,2,3],4]"));

    [Fact]
    public void Read_NestedShallowerThanShape_Rejected()
        => Assert.Equal(
            "input 'x': nested data must match shape [2,2,2]: data[0][0] is 1, expected an array of 2",
            TensorError("INT32", "[2,2,2]", "[[1,2],[3,4]]"));

    [Fact]
    public void Read_NestedFlatterThanShape_Rejected()
        => Assert.Equal(
            "input 'x': nested data must match shape [2,2,2]: data[0] has 4 items, expected 2",
            TensorError("INT32", "[2,2,2]", "[[1,2,3,4],[5,6,7,8]]"));

    [Fact]
    public void Read_NestedDeeperThanShape_Rejected()
        => Assert.Equal(
            "input 'x' element 0: expected an integer for INT32, got [1]",
            TensorError("INT32", "[2,2]", "[[[1],[2]],[[3],[4]]]"));

    [Fact]
    public void Read_FlatWithAnArrayInside_Rejected()
        => Assert.Equal(
            "input 'x' element 1: expected an integer for INT32, got [2,3]",
            TensorError("INT32", "[2,2]", "[1,[2,3],4,5]"));

    // ---- element conversion errors ----

    [Theory]
    [InlineData("UINT8", "256")]
    [InlineData("UINT8", "-1")]
    [InlineData("INT8", "128")]
    [InlineData("INT8", "-129")]
    [InlineData("UINT16", "65536")]
    [InlineData("INT16", "32768")]
    [InlineData("INT16", "-32769")]
    [InlineData("UINT32", "4294967296")]
    [InlineData("INT32", "2147483648")]
    [InlineData("INT32", "-2147483649")]
    [InlineData("UINT64", "18446744073709551616")]
    [InlineData("UINT64", "-1")]
    [InlineData("INT64", "9223372036854775808")]
    [InlineData("INT64", "-9223372036854775809")]
    public void Read_IntegerOutOfRange_SaysValueAndType(string datatype, string value)
        => Assert.Equal(
            $"input 'x' element 1: {value} is out of range for {datatype}",
            TensorError(datatype, "[2]", $"[0,{value}]"));

    [Theory]
    [InlineData("INT32", "1.5")]
    [InlineData("INT32", "1e3")]
    [InlineData("INT64", "1.0")]
    [InlineData("UINT8", "\"1\"")]
    [InlineData("UINT64", "true")]
    [InlineData("INT8", "null")]
    public void Read_IntegerTypeGivenNonInteger_SaysWhatCame(string datatype, string value)
        => Assert.Equal(
            $"input 'x' element 1: expected an integer for {datatype}, got {value}",
            TensorError(datatype, "[2]", $"[0,{value}]"));

    [Theory]
    [InlineData("1")]
    [InlineData("\"true\"")]
    [InlineData("null")]
    public void Read_BoolGivenNonBoolean_SaysWhatCame(string value)
        => Assert.Equal(
            $"input 'x' element 1: expected true or false for BOOL, got {value}",
            TensorError("BOOL", "[2]", $"[true,{value}]"));

    [Theory]
    [InlineData("FP32", "\"nan\"")]
    [InlineData("FP32", "true")]
    [InlineData("FP64", "\"1.5\"")]
    [InlineData("FP16", "[]")]
    [InlineData("BF16", "\"Inf\"")]
    public void Read_FloatTypeGivenNonNumber_SaysWhatCame(string datatype, string value)
        => Assert.Equal(
            $"input 'x' element 1: expected a number or \"NaN\", \"Infinity\", \"-Infinity\" for {datatype}, got {value}",
            TensorError(datatype, "[2]", $"[0,{value}]"));

    [Theory]
    [InlineData("FP16", "65520")]
    [InlineData("FP16", "-1e5")]
    [InlineData("BF16", "3.4028235e38")]
    [InlineData("FP32", "1e39")]
    [InlineData("FP64", "1e309")]
    public void Read_FiniteNumberTooLarge_OutOfRangeNotInfinity(string datatype, string value)
        => Assert.Equal(
            $"input 'x' element 0: {value} is out of range for {datatype}",
            TensorError(datatype, "[1]", $"[{value}]"));

    [Fact]
    public void Read_BytesGivenNumber_SaysWhatCame()
        => Assert.Equal("input 'x' element 1: expected a string for BYTES, got 5", TensorError("BYTES", "[2]", """["a",5]"""));

    [Fact]
    public void Read_BytesWithLoneSurrogateEscape_Rejected()
        => Assert.Contains("input 'x' element 0: the string is not valid", TensorError("BYTES", "[1]", """["\ud800"]"""), StringComparison.Ordinal);

    [Fact]
    public void Read_BytesWithInvalidUtf8_Rejected()
    {
        var json = Encoding.UTF8.GetBytes("""{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["a!b"]}]}""");
        json[Array.IndexOf(json, (byte)'!')] = 0xFF;
        var result = JsonInferenceRequestReader.Read(json, "m", null);
        Assert.False(result.IsSuccess);
        Assert.Contains("input 'x' element 0: the string is not valid UTF-8", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LongValueInError_IsCutShort()
    {
        var message = TensorError("INT32", "[1]", "[\"" + new string('a', 100) + "\"]");
        Assert.EndsWith("got \"" + new string('a', 39) + "...", message, StringComparison.Ordinal);
    }

    // ---- request structure errors ----

    [Theory]
    [InlineData("""{}""", "missing required field 'inputs'")]
    [InlineData("""{"inputs":[]}""", "'inputs' must name at least one input, got []")]
    [InlineData("""{"inputs":{}}""", "'inputs' must be an array of inputs, got {}")]
    [InlineData("""[1]""", "the request body must be a JSON object, got [1]")]
    [InlineData("""{"inputs":[3]}""", "inputs[0] must be an object, got 3")]
    [InlineData("""{"inputs":[{"shape":[1],"datatype":"BOOL","data":[true]}]}""", "inputs[0]: missing required field 'name'")]
    [InlineData("""{"inputs":[{"name":7,"shape":[1],"datatype":"BOOL","data":[true]}]}""", "inputs[0]: 'name' must be a string, got 7")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"BOOL","data":[true]}]}""", "input 'x': missing required field 'shape'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"data":[true]}]}""", "input 'x': missing required field 'datatype'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL"}]}""", "input 'x': missing required field 'data'")]
    [InlineData("""{"inputs":[{"name":"x","shape":2,"datatype":"BOOL","data":[true]}]}""", "input 'x': 'shape' must be an array of non-negative integers, got 2")]
    [InlineData("""{"id":5,"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}]}""", "'id' must be a string, got 5")]
    public void Read_MalformedRequest_NamesTheField(string json, string expected)
        => Assert.Equal(expected, ReadError(json));

    [Theory]
    [InlineData("\"fp32\"")]
    [InlineData("\"FLOAT\"")]
    [InlineData("\"TYPE_FP32\"")]
    [InlineData("11")]
    public void Read_UnknownDatatype_ListsTheProtocolNames(string datatype)
        => Assert.Equal(
            $"input 'x': 'datatype' must be one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64, BYTES, got {datatype}",
            ReadError($$"""{"inputs":[{"name":"x","shape":[1],"datatype":{{datatype}},"data":[1]}]}"""));

    [Theory]
    [InlineData("[2,-1]", "input 'x': shape[1] is -1; dimensions must be non-negative integers")]
    [InlineData("[2.5]", "input 'x': shape[0] must be a non-negative integer, got 2.5")]
    [InlineData("[1e2]", "input 'x': shape[0] must be a non-negative integer, got 1e2")]
    [InlineData("[\"2\"]", "input 'x': shape[0] must be a non-negative integer, got \"2\"")]
    [InlineData("[18446744073709551615]", "input 'x': shape[0] is 18446744073709551615, more than the largest dimension supported, 9223372036854775807")]
    [InlineData("[99999999999999999999999]", "input 'x': shape[0] must be a non-negative integer, got 99999999999999999999999")]
    [InlineData("[4294967296,4294967296,0]", "input 'x': shape [4294967296,4294967296,0] has more elements than a 64-bit count holds")]
    public void Read_BadShape_SaysWhichDimension(string shape, string expected)
        => Assert.Equal(expected, TensorError("FP32", shape, "[]"));

    [Fact]
    public void Read_HugeShapeWithSmallBody_RejectedWithoutAllocating()
        => Assert.Equal(
            "input 'x': shape [1000000000000,1000] needs 1000000000000000 elements, got 1",
            TensorError("FP64", "[1000000000000,1000]", "[1]"));

    [Fact]
    public void Read_MalformedJson_GivesLineAndByte()
    {
        var message = ReadError("{\n  \"inputs\": [\n    {,}\n  ]\n}");
        Assert.StartsWith("malformed JSON at line 3, byte 6: ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EmptyBody_IsMalformedJson()
        => Assert.StartsWith("malformed JSON", ReadError(""), StringComparison.Ordinal);

    [Fact]
    public void Read_BinaryDataSize_WithoutTheHeaderLength_SaysToSendIt()
        => Assert.Equal(
            "input 'x' has parameters.binary_data_size, but the request has no Inference-Header-Content-Length header; send the JSON header's length in it",
            ReadError("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"""));

    [Fact]
    public void Read_BinaryInput_IsASliceOfTheBody_WithoutACopy()
    {
        var body = new byte[8];
        BitConverter.TryWriteBytes(body.AsSpan(4), 2.5f);
        var json = """{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"""u8.ToArray();
        var result = JsonInferenceRequestReader.Read(json, BinarySection.Of(body), "m", null);
        Assert.True(result.IsSuccess, result.Error?.Message);
        var tensor = Assert.Single(result.Value.Inputs);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(tensor.Data, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal([0f, 2.5f], tensor.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Read_BinaryAndData_OnOneInput_IsRefused()
        => Assert.Equal(
            "input 'x' has both 'data' and parameters.binary_data_size; send its elements one way",
            ReadError("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2],"parameters":{"binary_data_size":8}}]}"""));

    // ---- parameters and outputs ----

    [Fact]
    public void Read_Parameters_EachKindKeepsItsType()
    {
        var parameters = ReadOk("""
            {"parameters":{"s":"text","neg":-5,"big":18446744073709551615,"max":9223372036854775807,"real":0.5,"t":true,"f":false},
             "inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}]}
            """).Parameters;

        Assert.Equal("text", Assert.IsType<string>(parameters["s"]));
        Assert.Equal(-5L, Assert.IsType<long>(parameters["neg"]));
        Assert.Equal(ulong.MaxValue, Assert.IsType<ulong>(parameters["big"]));
        Assert.Equal(long.MaxValue, Assert.IsType<long>(parameters["max"]));
        Assert.Equal(0.5, Assert.IsType<double>(parameters["real"]));
        Assert.True(Assert.IsType<bool>(parameters["t"]));
        Assert.False(Assert.IsType<bool>(parameters["f"]));
        Assert.Equal(7, parameters.Count);
    }

    [Theory]
    [InlineData("""{"p":{"a":1}}""", "request: parameter 'p' must be a string, number or boolean, got {\"a\":1}")]
    [InlineData("""{"p":[1]}""", "request: parameter 'p' must be a string, number or boolean, got [1]")]
    [InlineData("""{"p":null}""", "request: parameter 'p' must be a string, number or boolean, got null")]
    [InlineData("""{"p":1e400}""", "request: parameter 'p': 1e400 is out of range for a 64-bit number")]
    [InlineData("""{"p":1,"p":2}""", "request: parameter 'p' appears twice")]
    [InlineData("""[]""", "request: 'parameters' must be an object, got []")]
    public void Read_BadRequestParameters_Rejected(string parameters, string expected)
        => Assert.Equal(expected, ReadError($$"""{"parameters":{{parameters}},"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}]}"""));

    [Fact]
    public void Read_BadInputParameters_NameTheInput()
        => Assert.Equal(
            "input 'x': parameter 'q' must be a string, number or boolean, got {}",
            ReadError("""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","parameters":{"q":{}},"data":[true]}]}"""));

    [Fact]
    public void Read_Outputs_NamesAndParametersInOrder()
    {
        var outputs = ReadOk("""
            {"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}],
             "outputs":[{"name":"probs","parameters":{"classification":3}},{"name":"logits"}]}
            """).Outputs;

        Assert.NotNull(outputs);
        Assert.Equal(["probs", "logits"], outputs.Select(o => o.Name));
        Assert.Equal(3L, outputs[0].Parameters["classification"]);
        Assert.Empty(outputs[1].Parameters);
    }

    [Fact]
    public void Read_EmptyOutputs_MeansEveryOutput()
        => Assert.Null(ReadOk("""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}],"outputs":[]}""").Outputs);

    [Theory]
    [InlineData("""[{"parameters":{}}]""", "outputs[0]: missing required field 'name'")]
    [InlineData("""[{"name":1}]""", "outputs[0]: 'name' must be a string, got 1")]
    [InlineData("""["y"]""", "outputs[0] must be an object, got \"y\"")]
    [InlineData("""{"name":"y"}""", "'outputs' must be an array of outputs, got {\"name\":\"y\"}")]
    [InlineData("""[{"name":"y","parameters":{"binary_data":[true]}}]""", "output 'y': parameter 'binary_data' must be a string, number or boolean, got [true]")]
    public void Read_BadOutputs_Rejected(string outputs, string expected)
        => Assert.Equal(expected, ReadError($$"""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[true]}],"outputs":{{outputs}}}"""));

    [Fact]
    public void Read_SameInputNameAgain_ReusesTheNameItDecodedBefore()
    {
        const string Json = """{"inputs":[{"name":"features","shape":[1],"datatype":"FP32","data":[1]}]}""";
        var first = Assert.Single(ReadOk(Json).Inputs).Name;
        var second = Assert.Single(ReadOk(Json).Inputs).Name;

        Assert.Equal("features", second);
        Assert.Same(first, second);
    }

    [Fact]
    public void Read_ManyAlternatingInputNames_EachTensorKeepsItsOwnName()
    {
        // More names than the decoder keeps, alike but for their last letter, each one twice: a kept name
        // must never stand in for another.
        string[] names = ["input_a", "input_b", "input_c", "input_d", "input_e", "input_f", "input_é", "in\u0070ut_a"];
        string[] expected = ["input_a", "input_b", "input_c", "input_d", "input_e", "input_f", "input_é", "input_a"];
        for (var round = 0; round < 2; round++)
        {
            var inputs = string.Join(',', names.Select((n, i) => $$"""{"name":"{{n}}","shape":[1],"datatype":"INT32","data":[{{i}}]}"""));
            var request = ReadOk($$"""{"inputs":[{{inputs}}]}""");
            Assert.Equal(expected, request.Inputs.Select(t => t.Name));
            Assert.Equal(Enumerable.Range(0, names.Length), request.Inputs.Select(t => System.Runtime.InteropServices.MemoryMarshal.Read<int>(t.Data.Span)));
        }
    }

    [Theory]
    [InlineData("FP\\u00332", "FP32")]
    [InlineData("\\u0049NT64", "INT64")]
    public void Read_EscapedDatatype_IsTheTypeItSpells(string datatype, string expected)
        => Assert.Equal(expected, ReadTensor(datatype, "[1]", "[1]").DataType.ToProtocolName());
}
