using Google.Protobuf;
using Grpc.Core;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Protos;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Grpc;

/// <summary>The gRPC side of issue 11: shapes past the rank limit, strings that are not UTF-8, echoes of huge names, tensors over the limit.</summary>
public sealed class GrpcHardeningTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        TestModels.WriteIdentity(_repo.Combine("id_bytes", "1"), DataType.Bytes);
        _app = await UsherApp.StartAsync(_repo.Path, server: s => s.MaxTensorBytes = 4096);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    private static ModelInferRequest Fraud(IEnumerable<long> shape)
    {
        var request = new ModelInferRequest { ModelName = SampleModels.FraudName };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32" };
        input.Shape.AddRange(shape);
        request.Inputs.Add(input);
        return request;
    }

    private async Task<RpcException> FailAsync(ModelInferRequest request)
        => await Assert.ThrowsAsync<RpcException>(() => _app.Grpc.ModelInferAsync(request).ResponseAsync);

    /// <summary>Before: the 1,000,000-dimension shape came back whole in grpc-message (2 MB).</summary>
    [Fact]
    public async Task ModelInfer_ShapeWithAMillionDimensions_IsInvalidArgument_WithAShortMessage()
    {
        var error = await FailAsync(Fraud(Enumerable.Repeat(1L, 1_000_000)));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("input 'features': shape has 1000000 dimensions; at most 64 are supported", error.Status.Detail);
    }

    /// <summary>Before: a 100 KB model name was echoed whole into grpc-message.</summary>
    [Fact]
    public async Task ModelInfer_HugeModelName_IsNotFound_WithTheNameCut()
    {
        var request = Fraud([1, SampleModels.FraudFeatures]);
        request.ModelName = new string('m', 100_000);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[SampleModels.FraudFeatures * 4]));
        var error = await FailAsync(request);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.True(error.Status.Detail.Length <= EchoText.MaxMessageLength, $"{error.Status.Detail.Length} characters");
        Assert.StartsWith("unknown model 'mmm", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelMetadata_HugeName_IsNotFound_WithTheNameCut()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _app.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = new string('x', 100_000) }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.True(error.Status.Detail.Length <= EchoText.MaxMessageLength, $"{error.Status.Detail.Length} characters");
    }

    [Fact]
    public async Task ModelInfer_BytesTensorOverTheLimit_IsInvalidArgumentNamingTheLimit()
    {
        var request = new ModelInferRequest { ModelName = "id_bytes" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "in_bytes", Datatype = "BYTES", Shape = { 1, 200 } };
        input.Contents = new InferTensorContents();
        for (var i = 0; i < 200; i++)
        {
            input.Contents.BytesContents.Add(ByteString.CopyFromUtf8("a"));
        }

        request.Inputs.Add(input);
        var error = await FailAsync(request);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(
            "input 'in_bytes': BYTES [1,200] takes 6600 bytes once decoded (32 per element plus its bytes), more than server.max_tensor_bytes (4096); send a smaller tensor or raise the limit",
            error.Status.Detail);
    }

    public static TheoryData<string, string> Placeholders => new()
    {
        { "model", "ModelInferRequest.model_name" },
        { "input", "ModelInferRequest.inputs[0].name" },
        { "dtype", "ModelInferRequest.inputs[0].datatype" },
        { "param", "ModelInferRequest.parameters[0].value.string_param" },
        { "outpt", "ModelInferRequest.outputs[1].name" },
    };

    /// <summary>Before: UNKNOWN "Exception was thrown by handler".</summary>
    [Theory]
    [MemberData(nameof(Placeholders))]
    public async Task ModelInfer_StringFieldThatIsNotUtf8_IsInvalidArgumentNamingTheField(string placeholder, string field)
    {
        // A valid message with a 5-letter placeholder where the bad string goes, then those 5 bytes
        // replaced by bytes that are not UTF-8 (the generated client cannot send them).
        var request = new ModelInferRequest { ModelName = placeholder == "model" ? "model" : "fraud" };
        var input = new ModelInferRequest.Types.InferInputTensor
        {
            Name = placeholder == "input" ? "input" : "features",
            Datatype = placeholder == "dtype" ? "dtype" : "FP32",
            Shape = { 1, SampleModels.FraudFeatures },
        };
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[SampleModels.FraudFeatures * 4]));
        request.Parameters["p"] = new InferParameter { StringParam = placeholder == "param" ? "param" : "value" };
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" });
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = placeholder == "outpt" ? "outpt" : "label" });
        var bytes = request.ToByteArray();
        var at = bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(placeholder));
        Assert.True(at >= 0);
        bytes[at] = 0xff;
        bytes[at + 1] = 0xfe;

        var raw = new Method<byte[], ModelInferResponse>(
            MethodType.Unary, "inference.GRPCInferenceService", "ModelInfer",
            Marshallers.Create(b => b, b => b),
            Marshallers.Create((ModelInferResponse r) => r.ToByteArray(), ModelInferResponse.Parser.ParseFrom));
        var error = await Assert.ThrowsAsync<RpcException>(() => _app.Channel.CreateCallInvoker().AsyncUnaryCall(raw, null, default, bytes).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"{field}: the string is not valid UTF-8; string fields must be UTF-8 text (send bytes in a bytes field)", error.Status.Detail);
    }

    [Fact]
    public async Task ModelInfer_StreamWithAStringThatIsNotUtf8_EndsInvalidArgument()
    {
        var request = Fraud([1, SampleModels.FraudFeatures]);
        request.ModelName = "zzzzz";
        var bytes = request.ToByteArray();
        var at = bytes.AsSpan().IndexOf("zzzzz"u8);
        bytes[at] = 0xc3; // a lead byte with no continuation

        var raw = new Method<byte[], ModelStreamInferResponse>(
            MethodType.DuplexStreaming, "inference.GRPCInferenceService", "ModelStreamInfer",
            Marshallers.Create(b => b, b => b),
            Marshallers.Create((ModelStreamInferResponse r) => r.ToByteArray(), ModelStreamInferResponse.Parser.ParseFrom));
        using var call = _app.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(raw, null, default);
        await call.RequestStream.WriteAsync(bytes);
        await call.RequestStream.CompleteAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("ModelInferRequest.model_name:", error.Status.Detail, StringComparison.Ordinal);
    }
}
