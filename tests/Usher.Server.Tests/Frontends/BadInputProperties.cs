using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Google.Protobuf;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Frontends.Grpc;
using Usher.Server.Frontends.Http;
using Usher.Server.Protos;

namespace Usher.Server.Tests.Frontends;

/// <summary>
/// Property-based bad input for the three request readers: the REST JSON reader, the binary framing
/// and the gRPC reader. Whatever comes, a reader answers a value (never throws), a failure is the
/// client's (INVALID_ARGUMENT) with a bounded message, and what it accepts is consistent with what
/// was declared. A few hundred cases each, a few seconds in all.
/// </summary>
public sealed class BadInputProperties
{
    private const int Cases = 300;

    private static readonly string[] DataTypeNames = [.. DataTypes.ProtocolNames, "FLOAT32", "", "fp32", "BYTES\u0000"];

    private static readonly Gen<string> Dim = Gen.Elements("0", "1", "2", "3", "-1", "1.5", "\"2\"", "null", "9223372036854775807", "18446744073709551616", "4611686018427387904");

    private static readonly Gen<string> Scalar = Gen.Elements(
        "0", "1", "-1", "1.5", "1e400", "-0", "255", "256", "65536", "-129", "18446744073709551615", "-9223372036854775809",
        "true", "false", "null", "\"NaN\"", "\"Infinity\"", "\"a\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u00e9\"", "\"\u00ff\u00fe\"", "{}", "[]");

    /// <summary>JSON text, nested up to a few levels, of the scalars above.</summary>
    private static Gen<string> Data(int depth)
        => depth == 0
            ? Scalar
            : Gen.OneOf(
                Scalar,
                Data(depth - 1).ListOf().Select(items => "[" + string.Join(",", items.Take(12)) + "]"));

    private static readonly Gen<string> Name = Gen.Elements("features", "x", "", "\u00ff\u00fe", "\\ud800", "a\\\"b", new string('n', 300));

    private static readonly Gen<string> Input =
        from name in Name
        from type in Gen.Elements(DataTypeNames)
        from rank in Gen.Frequency((8, Gen.Choose(0, 4)), (1, Gen.Choose(60, 70)))
        from dims in Dim.ArrayOf(rank)
        from data in Data(3)
        from parameters in Gen.Elements("", ",\"parameters\":{}", ",\"parameters\":{\"k\":\"\\ud800\"}", ",\"parameters\":[]", ",\"parameters\":{\"binary_data_size\":4}")
        select $"{{\"name\":\"{name}\",\"datatype\":\"{type}\",\"shape\":[{string.Join(",", dims)}],\"data\":{data}{parameters}}}";

    private static readonly Gen<string> Request =
        from inputs in Input.NonEmptyListOf()
        from id in Gen.Elements("", "\"id\":\"1\",", "\"id\":\"\\ud800\",", "\"id\":7,")
        from outputs in Gen.Elements("", ",\"outputs\":[]", ",\"outputs\":[{\"name\":\"y\"}]", ",\"outputs\":[{\"name\":\"\\udfff\"}]", ",\"outputs\":{}")
        select $"{{{id}\"inputs\":[{string.Join(",", inputs.Take(3))}]{outputs}}}";

    /// <summary>A request's bytes, sometimes cut short or with one byte replaced.</summary>
    private static readonly Gen<byte[]> Body =
        from text in Request
        from cut in Gen.Choose(0, 100)
        from at in Gen.Choose(0, 10_000)
        from replacement in Gen.Choose(0, 255)
        select Mutate(Encoding.Latin1.GetBytes(text), cut, at, (byte)replacement);

    private static byte[] Mutate(byte[] bytes, int cut, int at, byte replacement)
    {
        if (bytes.Length == 0 || cut >= 20)
        {
            return bytes;
        }

        return cut < 10 ? bytes[..(at % bytes.Length)] : bytes.Select((b, i) => i == at % bytes.Length ? replacement : b).ToArray();
    }

    private static void AssertClientError(InferenceError error)
    {
        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.True(error.Message.Length <= EchoText.MaxMessageLength, $"{error.Message.Length} characters");
    }

    private static void AssertDeclared(Tensor tensor)
    {
        Assert.True(tensor.Shape.Length <= 64);
        var count = TensorShape.ElementCount(tensor.Shape);
        if (tensor.DataType == DataType.Bytes)
        {
            Assert.Equal(count, tensor.Strings!.Length);
        }
        else
        {
            Assert.Equal(count * tensor.DataType.ElementSize(), tensor.Data.Length);
        }
    }

    [Property(MaxTest = Cases)]
    public Property JsonReader_AnyBody_AnswersAValue_ConsistentWithTheDeclaration()
        => Prop.ForAll(Body.ToArbitrary(), body =>
        {
            var read = JsonInferenceRequestReader.Read(body, "m", null);
            if (!read.IsSuccess)
            {
                AssertClientError(read.Error);
                return;
            }

            foreach (var tensor in read.Value.Inputs)
            {
                AssertDeclared(tensor);
            }
        });

    private static readonly Gen<(string Header, byte[] Binary)> Framed =
        from type in Gen.Elements("UINT8", "FP32", "BYTES", "INT64", "BOOL")
        from rank in Gen.Choose(0, 3)
        from dims in Gen.Choose(0, 4).ArrayOf(rank)
        from size in Gen.OneOf(Gen.Choose(-4, 64).Select(s => s.ToString(CultureInfo.InvariantCulture)), Gen.Elements("\"4\"", "1.5", "true", "99999999999"))
        from tail in Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf()
        from second in Gen.Elements("", ",{\"name\":\"b\",\"datatype\":\"UINT8\",\"shape\":[2],\"parameters\":{\"binary_data_size\":2}}", ",{\"name\":\"c\",\"datatype\":\"UINT8\",\"shape\":[1],\"data\":[1]}")
        select ($"{{\"inputs\":[{{\"name\":\"a\",\"datatype\":\"{type}\",\"shape\":[{string.Join(",", dims)}],\"parameters\":{{\"binary_data_size\":{size}}}}}{second}]}}", tail);

    [Property(MaxTest = Cases)]
    public Property BinaryFraming_AnySizesAndBytes_AnswerAValue_AndAcceptOnlyWhatAddsUp()
        => Prop.ForAll(Framed.ToArbitrary(), framed =>
        {
            var read = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes(framed.Header), BinarySection.Of(framed.Binary), "m", null);
            if (!read.IsSuccess)
            {
                AssertClientError(read.Error);
                return;
            }

            foreach (var tensor in read.Value.Inputs)
            {
                AssertDeclared(tensor);
            }

            // Accepted: the binary inputs took exactly the bytes after the header.
            var binaryBytes = read.Value.Inputs.Where(t => t.Name != "c").Sum(t => t.DataType == DataType.Bytes ? t.Strings!.Sum(s => 4L + s.Length) : t.Data.Length);
            Assert.Equal(framed.Binary.Length, binaryBytes);
        });

    private static readonly Gen<ModelInferRequest> GrpcRequest =
        from model in Gen.Elements("fraud", "", new string('m', 5000))
        from version in Gen.Elements("", "1", "0", "-1", "x", "99999999999999999999")
        from type in Gen.Elements(DataTypeNames)
        from rank in Gen.Frequency((8, Gen.Choose(0, 4)), (1, Gen.Choose(60, 70)))
        from dims in Gen.Elements(0L, 1L, 2L, 3L, -1L, long.MaxValue, 1L << 40).ArrayOf(rank)
        from raw in Gen.Frequency((1, Gen.Constant<byte[]?>(null)), (2, Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf().Select(b => (byte[]?)b)))
        from typedCount in Gen.Choose(0, 8)
        select Build(model, version, type, dims, raw, typedCount);

    private static ModelInferRequest Build(string model, string version, string type, long[] dims, byte[]? raw, int typedCount)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = type };
        input.Shape.AddRange(dims);
        if (raw is not null)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(raw));
        }
        else
        {
            input.Contents = new InferTensorContents();
            for (var i = 0; i < typedCount; i++)
            {
                input.Contents.IntContents.Add(i * 100);
                input.Contents.BytesContents.Add(ByteString.CopyFromUtf8("e"));
                input.Contents.Fp32Contents.Add(i);
            }
        }

        request.Inputs.Add(input);
        return request;
    }

    [Property(MaxTest = Cases)]
    public Property GrpcReader_AnyRequest_AnswersAValue_ConsistentWithTheDeclaration()
        => Prop.ForAll(GrpcRequest.ToArbitrary(), request =>
        {
            var read = GrpcRequestReader.Read(request);
            if (!read.IsSuccess)
            {
                // A version that is not a positive integer is an unknown version, as over REST.
                if (read.Error.Kind != InferenceErrorKind.NotFound)
                {
                    AssertClientError(read.Error);
                }

                return;
            }

            foreach (var tensor in read.Value.Inputs)
            {
                AssertDeclared(tensor);
            }
        });

    /// <summary>
    /// The wire: a message's bytes with some replaced. Parsing either succeeds or fails with one of the
    /// exceptions the checked marshaller turns into INVALID_ARGUMENT, and the field finder never throws.
    /// </summary>
    [Property(MaxTest = Cases)]
    public Property GrpcWire_AnyBytes_FailOnlyInWaysTheMarshallerAnswers()
        => Prop.ForAll(GrpcRequest.ToArbitrary(), Gen.Choose(0, 255).ArrayOf().ToArbitrary(), (request, noise) =>
        {
            var bytes = request.ToByteArray();
            for (var i = 0; i + 1 < noise.Length && bytes.Length > 0; i += 2)
            {
                bytes[noise[i] * 31 % bytes.Length] = (byte)noise[i + 1];
            }

            try
            {
                ModelInferRequest.Parser.ParseFrom(bytes);
            }
            catch (Exception exception)
            {
                Assert.True(exception is InvalidProtocolBufferException or ArgumentException, exception.GetType().FullName);
            }

            _ = ProtoTextFinder.FindInvalidString(ModelInferRequest.Descriptor, bytes);
        });
}
