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
/// Generated valid requests round-trip through the three request readers (the REST JSON reader, the
/// binary framing, the gRPC reader): every tensor comes out with its name, datatype, shape and exactly
/// the bytes computed here, value by value. Then one known defect is put into a valid request, and the
/// reader must refuse it as the client's mistake, naming the input and the problem.
/// To replay a failure, copy the "Replay" FsCheck prints into the attribute: <c>[Property(Replay = "(123,456)")]</c>.
/// </summary>
public sealed class RoundTripProperties
{
    private const int Cases = 200;

    private static void AssertRoundTrip(GeneratedTensor expected, Tensor actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DataType, actual.DataType);
        Assert.Equal(expected.Shape, actual.Shape);
        if (expected.DataType == DataType.Bytes)
        {
            Assert.Equal(expected.ExpectedStrings(), actual.Strings!);
        }
        else
        {
            Assert.Equal(expected.ExpectedBytes(), actual.Data.ToArray());
        }
    }

    private static void AssertRoundTrip(GeneratedTensor[] expected, InferenceResult<InferenceRequest> read)
    {
        Assert.True(read.IsSuccess, read.Error?.Message);
        Assert.Equal(expected.Length, read.Value.Inputs.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            AssertRoundTrip(expected[i], read.Value.Inputs[i]);
        }
    }

    private static string Request(IEnumerable<string> inputs) => $$"""{"id":"r","inputs":[{{string.Join(",", inputs)}}]}""";

    [Property(MaxTest = Cases)]
    public Property JsonReader_GeneratedValidRequest_RoundTripsEveryValueExactly()
        => Prop.ForAll(GeneratedTensor.Several.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (tensors, nested) =>
        {
            var body = Encoding.UTF8.GetBytes(Request(tensors.Select(t => t.ToJson(nested))));
            AssertRoundTrip(tensors, JsonInferenceRequestReader.Read(body, "m", null));
        });

    [Property(MaxTest = Cases)]
    public Property BinaryFraming_GeneratedValidRequest_RoundTripsEveryByte()
        => Prop.ForAll(GeneratedTensor.Several.ToArbitrary(), tensors =>
        {
            // Every other input travels in the binary section, the rest as JSON data, as clients mix them.
            var header = Request(tensors.Select((t, i) => i % 2 == 0 ? t.ToBinaryJson() : t.ToJson(nested: false)));
            var binary = tensors.Where((_, i) => i % 2 == 0).SelectMany(t => t.BinaryBytes()).ToArray();
            AssertRoundTrip(tensors, JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes(header), BinarySection.Of(binary), "m", null));
        });

    [Property(MaxTest = Cases)]
    public Property GrpcReader_GeneratedValidRequest_RoundTripsEveryValueExactly()
        => Prop.ForAll(GeneratedTensor.Several.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (tensors, raw) =>
        {
            var request = new ModelInferRequest { ModelName = "m", Id = "r" };
            foreach (var tensor in tensors)
            {
                var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToProtocolName() };
                input.Shape.AddRange(tensor.Shape);
                if (raw)
                {
                    request.RawInputContents.Add(ByteString.CopyFrom(tensor.BinaryBytes()));
                }
                else
                {
                    input.Contents = Typed(tensor);
                }

                request.Inputs.Add(input);
            }

            // Over the wire and back, so the message is what a client's bytes parse into.
            var parsed = ModelInferRequest.Parser.ParseFrom(request.ToByteArray());
            AssertRoundTrip(tensors, GrpcRequestReader.Read(parsed));
        });

    private static InferTensorContents Typed(GeneratedTensor tensor)
    {
        var contents = new InferTensorContents();
        foreach (var value in tensor.Values)
        {
            switch (value)
            {
                case bool v: contents.BoolContents.Add(v); break;
                case byte v: contents.UintContents.Add(v); break;
                case ushort v: contents.UintContents.Add(v); break;
                case uint v: contents.UintContents.Add(v); break;
                case ulong v: contents.Uint64Contents.Add(v); break;
                case sbyte v: contents.IntContents.Add(v); break;
                case short v: contents.IntContents.Add(v); break;
                case int v: contents.IntContents.Add(v); break;
                case long v: contents.Int64Contents.Add(v); break;
                case float v: contents.Fp32Contents.Add(v); break;
                case double v: contents.Fp64Contents.Add(v); break;
                case byte[] v: contents.BytesContents.Add(ByteString.CopyFrom(v)); break;
                default: throw new InvalidOperationException(value.GetType().Name);
            }
        }

        return contents;
    }

    /// <summary>A defect put into one input of a valid JSON request, and words its rejection must contain.</summary>
    private sealed record Defect(string Description, Func<GeneratedTensor, string> Input, Func<GeneratedTensor, string[]> Expected)
    {
        public override string ToString() => Description;
    }

    private static string Shape(GeneratedTensor t) => string.Join(",", t.Shape);

    private static string FirstValueJson(GeneratedTensor t)
    {
        var json = t.ToJson(nested: false);
        return json[(json.IndexOf("\"data\":", StringComparison.Ordinal) + 7)..^1];
    }

    private static readonly Defect[] Defects =
    [
        new("unknown datatype",
            t => $$"""{"name":"{{t.Name}}","datatype":"FLOAT99","shape":[{{Shape(t)}}],"data":{{FirstValueJson(t)}}}""",
            t => [t.Name, "FLOAT99"]),
        new("one element too many",
            t => $$"""{"name":"{{t.Name}}","datatype":"{{t.DataType.ToProtocolName()}}","shape":[{{string.Join(",", t.Shape.Append(1L))}}],"data":[{{string.Join(",", Enumerable.Repeat(t.DataType == DataType.Bytes ? "\"a\"" : t.DataType == DataType.Bool ? "true" : "1", (int)t.Values.Length + 1))}}]}""",
            t => [t.Name, "needs"]),
        new("negative dimension",
            t => $$"""{"name":"{{t.Name}}","datatype":"{{t.DataType.ToProtocolName()}}","shape":[-2],"data":[]}""",
            t => [t.Name, "-2"]),
        new("data of the wrong kind",
            t => $$"""{"name":"{{t.Name}}","datatype":"{{t.DataType.ToProtocolName()}}","shape":[1],"data":[{{(t.DataType == DataType.Bytes ? "7" : "\"seven\"")}}]}""",
            t => [t.Name, "element 0", t.DataType.ToProtocolName()]),
        new("no datatype",
            t => $$"""{"name":"{{t.Name}}","shape":[{{Shape(t)}}],"data":{{FirstValueJson(t)}}}""",
            t => [t.Name, "datatype"]),
        new("no shape",
            t => $$"""{"name":"{{t.Name}}","datatype":"{{t.DataType.ToProtocolName()}}","data":{{FirstValueJson(t)}}}""",
            t => [t.Name, "shape"]),
        new("binary size not a number",
            t => $$$"""{"name":"{{{t.Name}}}","datatype":"{{{t.DataType.ToProtocolName()}}}","shape":[{{{Shape(t)}}}],"parameters":{"binary_data_size":"4"}}""",
            t => [t.Name, "binary_data_size"]),
    ];

    [Property(MaxTest = Cases)]
    public Property JsonReader_ValidRequestWithOneDefect_IsRefusedAsInvalidArgument_NamingTheInputAndTheProblem()
        => Prop.ForAll(GeneratedTensor.Several.ToArbitrary(), Gen.Elements(Defects).ToArbitrary(), Gen.Choose(0, 2).ToArbitrary(), (tensors, defect, at) =>
        {
            var broken = at % tensors.Length;
            var body = Request(tensors.Select((t, i) => i == broken ? defect.Input(t) : t.ToJson(nested: true)));
            var read = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes(body), "m", null);

            Assert.False(read.IsSuccess, $"{defect} was accepted: {body}");
            Assert.Equal(InferenceErrorKind.InvalidArgument, read.Error.Kind);
            foreach (var word in defect.Expected(tensors[broken]))
            {
                Assert.Contains(word, read.Error.Message, StringComparison.Ordinal);
            }
        });

    [Property(MaxTest = Cases)]
    public Property BinaryFraming_SectionShorterOrLonger_IsRefusedNamingTheSizes()
        => Prop.ForAll(GeneratedTensor.Several.ToArbitrary(), Gen.Elements(-3, -1, 1, 5).ToArbitrary(), (tensors, change) =>
        {
            var header = Request(tensors.Select(t => t.ToBinaryJson()));
            var binary = tensors.SelectMany(t => t.BinaryBytes()).ToArray();
            if (binary.Length + change < 0)
            {
                return;
            }

            var framed = change < 0 ? binary[..(binary.Length + change)] : [.. binary, .. new byte[change]];
            var read = JsonInferenceRequestReader.Read(Encoding.UTF8.GetBytes(header), BinarySection.Of(framed), "m", null);

            Assert.False(read.IsSuccess, $"a binary section {change:+0;-0} bytes off was accepted");
            Assert.Equal(InferenceErrorKind.InvalidArgument, read.Error.Kind);
            Assert.Contains("binary", read.Error.Message, StringComparison.OrdinalIgnoreCase);
        });

    [Property(MaxTest = Cases)]
    public Property GrpcReader_TypedContentsOfTheWrongCount_AreRefusedNamingTheInputAndTheField()
        => Prop.ForAll(GeneratedTensor.Several.ToArbitrary(), tensors =>
        {
            var request = new ModelInferRequest { ModelName = "m" };
            foreach (var tensor in tensors)
            {
                var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToProtocolName() };
                input.Shape.AddRange(tensor.Shape);
                input.Shape.Add(2); // twice the elements the contents carry (and none for an empty tensor)
                input.Contents = Typed(tensor);
                request.Inputs.Add(input);
            }

            var read = GrpcRequestReader.Read(request);
            var first = tensors.FirstOrDefault(t => t.Values.Length > 0);
            if (first is null)
            {
                // [..., 2] of zero elements is still zero elements: nothing is missing.
                Assert.True(read.IsSuccess, read.Error?.Message);
                return;
            }

            Assert.False(read.IsSuccess);
            Assert.Equal(InferenceErrorKind.InvalidArgument, read.Error.Kind);
            Assert.Contains(first.Name, read.Error.Message, StringComparison.Ordinal);
            Assert.Contains(TypedContents.FieldName(first.DataType)!, read.Error.Message, StringComparison.Ordinal);
        });
}
