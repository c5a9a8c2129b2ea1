using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Usher.Server.Frontends.Grpc;
using Usher.Server.Protos;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Grpc;

/// <summary>Every RPC of <c>inference.GRPCInferenceService</c> and every error status, through the real ASP.NET pipeline.</summary>
public sealed class GrpcServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    private GRPCInferenceService.GRPCInferenceServiceClient Client => _app.Grpc;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        TestModels.WriteIdentity(_repo.Combine("id_fp16", "1"), DataType.Fp16);
        TestModels.WriteIdentity(_repo.Combine("id_int8", "1"), DataType.Int8);
        TestModels.WriteBroken(_repo.Combine("broken", "1"));
        _app = await UsherApp.StartAsync(_repo.Path, server: s => s.GrpcMaxMessageBytes = 1024 * 1024);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task ServerLive_IsTrue()
        => Assert.True((await Client.ServerLiveAsync(new ServerLiveRequest())).Live);

    [Fact]
    public async Task ServerReady_WithABrokenModel_IsFalse_AndTrueOnceItIsUnloaded()
    {
        Assert.False((await Client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        await Client.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "broken" });
        Assert.True((await Client.ServerReadyAsync(new ServerReadyRequest())).Ready);
    }

    [Fact]
    public async Task Health_FollowsServerReadiness()
    {
        var health = new Health.HealthClient(_app.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        await Client.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "broken" });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task ModelReady_ReadyModel_IsTrue_BrokenModel_IsFalse()
    {
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "fraud" })).Ready);
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "fraud", Version = "1" })).Ready);
        Assert.False((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "broken" })).Ready);
    }

    [Fact]
    public async Task ModelReady_UnknownModelOrVersion_IsNotFound()
    {
        await AssertStatusAsync(StatusCode.NotFound, "unknown model 'nope'", () => Client.ModelReadyAsync(new ModelReadyRequest { Name = "nope" }).ResponseAsync);
        await AssertStatusAsync(StatusCode.NotFound, "no version 9", () => Client.ModelReadyAsync(new ModelReadyRequest { Name = "fraud", Version = "9" }).ResponseAsync);
        await AssertStatusAsync(StatusCode.NotFound, "versions are positive integers", () => Client.ModelReadyAsync(new ModelReadyRequest { Name = "fraud", Version = "v1" }).ResponseAsync);
        await AssertStatusAsync(StatusCode.InvalidArgument, "'name' is required", () => Client.ModelReadyAsync(new ModelReadyRequest()).ResponseAsync);
    }

    [Fact]
    public async Task ServerMetadata_NamesUsherAndAdvertisesBinaryTensorData()
    {
        var metadata = await Client.ServerMetadataAsync(new ServerMetadataRequest());
        Assert.Equal("usher", metadata.Name);
        Assert.NotEmpty(metadata.Version);
        Assert.Contains("binary_tensor_data", metadata.Extensions);
        Assert.Contains("model_repository", metadata.Extensions);
    }

    [Fact]
    public async Task ModelMetadata_GivesVersionsAndTensors()
    {
        var metadata = await Client.ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" });
        Assert.Equal("fraud", metadata.Name);
        Assert.Equal(["1", "2"], metadata.Versions);
        var input = Assert.Single(metadata.Inputs);
        Assert.Equal("FP32", input.Datatype);
        Assert.Equal([-1L, SampleModels.FraudFeatures], input.Shape);
        Assert.Equal("2", metadata.Properties["version"]);
        Assert.Equal("READY", metadata.Properties["state"]);
    }

    [Fact]
    public async Task ModelMetadata_BrokenModel_AnswersWithItsReason()
    {
        var metadata = await Client.ModelMetadataAsync(new ModelMetadataRequest { Name = "broken" });
        Assert.Empty(metadata.Inputs);
        Assert.NotEqual("READY", metadata.Properties["state"]);
        Assert.False(string.IsNullOrEmpty(metadata.Properties["reason"]));
    }

    [Fact]
    public async Task ModelMetadata_UnknownModel_IsNotFound()
        => await AssertStatusAsync(StatusCode.NotFound, "unknown model 'nope'", () => Client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }).ResponseAsync);

    [Fact]
    public async Task ModelInfer_Typed_AnswersTyped_WithIdVersionAndVariantHeader()
    {
        var request = FraudRequest(rows: 2);
        request.Id = "req-7";
        using var call = Client.ModelInferAsync(request);
        var response = await call.ResponseAsync;
        Assert.Equal("fraud", response.ModelName);
        Assert.Equal("2", response.ModelVersion);
        Assert.Equal("req-7", response.Id);
        Assert.Empty(response.RawOutputContents);
        Assert.Equal(["probabilities", "label"], response.Outputs.Select(o => o.Name));
        var output = response.Outputs[0];
        Assert.Equal([2L, SampleModels.FraudClasses], output.Shape);
        var p = output.Contents.Fp32Contents;
        Assert.Equal(4, p.Count);

        // Probabilities of [legit, fraud]: each row sums to 1, and the label is the likelier class.
        Assert.Equal(1f, p[0] + p[1], 4);
        Assert.Equal(1f, p[2] + p[3], 4);
        Assert.Equal([p[1] > p[0] ? 1L : 0L, p[3] > p[2] ? 1L : 0L], response.Outputs[1].Contents.Int64Contents);
        Assert.Equal("fraud:2", (await call.ResponseHeadersAsync).GetValue(RouteHints.VariantHeader));
    }

    [Fact]
    public async Task ModelInfer_PinnedVersion_RunsThatVersion()
    {
        var request = FraudRequest(rows: 1);
        request.ModelVersion = "1";
        Assert.Equal("1", (await Client.ModelInferAsync(request)).ModelVersion);
    }

    [Fact]
    public async Task ModelInfer_Raw_AnswersRaw()
    {
        var typed = FraudRequest(rows: 3);
        var raw = ToRaw(typed);
        var typedResponse = await Client.ModelInferAsync(typed);
        var rawResponse = await Client.ModelInferAsync(raw);
        Assert.All(rawResponse.Outputs, o => Assert.Null(o.Contents));
        Assert.Equal(2, rawResponse.RawOutputContents.Count);
        var bytes = rawResponse.RawOutputContents[0].ToByteArray();
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        Assert.Equal(typedResponse.Outputs[0].Contents.Fp32Contents, floats);
    }

    [Fact]
    public async Task ModelInfer_Fp16_OnlyAsRaw_AndTheAnswerIsRaw()
    {
        var typed = new ModelInferRequest { ModelName = "id_fp16" };
        typed.Inputs.Add(Input("in_fp16", "FP16", [1, 2]));
        await AssertStatusAsync(StatusCode.InvalidArgument, "FP16 has no typed contents field; send its bytes in raw_input_contents", () => Client.ModelInferAsync(typed).ResponseAsync);

        Half[] values = [(Half)1.5, (Half)(-2)];
        typed.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));
        var response = await Client.ModelInferAsync(typed);
        Assert.Equal(typed.RawInputContents[0], Assert.Single(response.RawOutputContents));
        Assert.Equal("FP16", response.Outputs[0].Datatype);
    }

    public static TheoryData<string, string> InvalidRequests => new()
    {
        { "datatype", "'datatype' must be one of" },
        { "negative-dim", "shape[0] is -1" },
        { "count", "needs 60 elements, got 59 in contents.fp32_contents" },
        { "wrong-field", "FP32 data goes in contents.fp32_contents, got contents.int_contents" },
        { "raw-count", "raw_input_contents has 2 entries but the request has 1 inputs" },
        { "raw-size", "needs 240 bytes of raw_input_contents, got 239" },
        { "raw-and-contents", "has contents, but the request uses raw_input_contents" },
        { "no-inputs", "'inputs' must name at least one input" },
        { "model-shape", "input 'features'" },
        { "int8-range", "element 0 is 200, out of range for INT8" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task ModelInfer_Invalid_IsInvalidArgumentNamingTheProblem(string kind, string expected)
    {
        var request = FraudRequest(rows: 2);
        var input = request.Inputs[0];
        switch (kind)
        {
            case "datatype":
                input.Datatype = "FLOAT32";
                break;
            case "negative-dim":
                input.Shape[0] = -1;
                break;
            case "count":
                input.Contents.Fp32Contents.RemoveAt(0);
                break;
            case "wrong-field":
                input.Contents.IntContents.Add(1);
                break;
            case "raw-count":
                request = ToRaw(request);
                request.RawInputContents.Add(ByteString.Empty);
                break;
            case "raw-size":
                request = ToRaw(request);
                request.RawInputContents[0] = ByteString.CopyFrom(request.RawInputContents[0].Span[1..]);
                break;
            case "raw-and-contents":
                request = ToRaw(request);
                request.Inputs[0].Contents = new InferTensorContents();
                break;
            case "no-inputs":
                request.Inputs.Clear();
                break;
            case "model-shape":
                input.Shape[1] = 15;
                for (var i = 0; i < 30; i++)
                {
                    input.Contents.Fp32Contents.RemoveAt(0);
                }
                break;
            case "int8-range":
                request = new ModelInferRequest { ModelName = "id_int8" };
                var int8 = Input("in_int8", "INT8", [1, 1]);
                int8.Contents = new InferTensorContents { IntContents = { 200 } };
                request.Inputs.Add(int8);
                break;
        }

        await AssertStatusAsync(StatusCode.InvalidArgument, expected, () => Client.ModelInferAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task ModelInfer_UnknownModelOrVersion_IsNotFound()
    {
        var request = FraudRequest(rows: 1);
        request.ModelName = "nope";
        await AssertStatusAsync(StatusCode.NotFound, "nope", () => Client.ModelInferAsync(request).ResponseAsync);
        request = FraudRequest(rows: 1);
        request.ModelVersion = "7";
        await AssertStatusAsync(StatusCode.NotFound, "7", () => Client.ModelInferAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task ModelInfer_ModelThatFailedToLoad_IsUnavailable()
    {
        var request = FraudRequest(rows: 1);
        request.ModelName = "broken";
        await AssertStatusAsync(StatusCode.Unavailable, "broken", () => Client.ModelInferAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task ModelInfer_MessageOverTheLimit_IsResourceExhausted()
    {
        // grpc_max_message_bytes is 1 MiB here; 40,000 rows of 30 floats are 4.8 MB.
        var request = new ModelInferRequest { ModelName = "fraud" };
        request.Inputs.Add(Input("features", "FP32", [40_000, SampleModels.FraudFeatures]));
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[40_000 * SampleModels.FraudFeatures * 4]));
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Theory]
    [InlineData(InferenceErrorKind.InvalidArgument, StatusCode.InvalidArgument)]
    [InlineData(InferenceErrorKind.NotFound, StatusCode.NotFound)]
    [InlineData(InferenceErrorKind.Unavailable, StatusCode.Unavailable)]
    [InlineData(InferenceErrorKind.ResourceExhausted, StatusCode.ResourceExhausted)]
    [InlineData(InferenceErrorKind.Timeout, StatusCode.DeadlineExceeded)]
    [InlineData(InferenceErrorKind.Canceled, StatusCode.Cancelled)]
    [InlineData(InferenceErrorKind.Internal, StatusCode.Internal)]
    [InlineData(InferenceErrorKind.Unsupported, StatusCode.Unimplemented)]
    public void ErrorKinds_MapToOneStatusEach(InferenceErrorKind kind, StatusCode expected)
    {
        var exception = GrpcErrors.ToException(new InferenceError(kind, "why"), retryAfterSeconds: 3);
        Assert.Equal(expected, exception.StatusCode);
        Assert.Equal("why", exception.Status.Detail);
        Assert.Equal(kind == InferenceErrorKind.ResourceExhausted ? "3" : null, exception.Trailers.GetValue(GrpcErrors.RetryAfterTrailer));
    }

    [Fact]
    public async Task ModelStreamInfer_AnswersInOrder_AndAnErrorDoesNotEndTheStream()
    {
        using var call = Client.ModelStreamInfer();
        var first = FraudRequest(rows: 1);
        first.Id = "a";
        var bad = FraudRequest(rows: 1);
        bad.Id = "b";
        bad.ModelName = "nope";
        var last = ToRaw(FraudRequest(rows: 2));
        last.Id = "c";
        await call.RequestStream.WriteAsync(first);
        await call.RequestStream.WriteAsync(bad);
        await call.RequestStream.WriteAsync(last);
        await call.RequestStream.CompleteAsync();

        var answers = new List<ModelStreamInferResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync())
        {
            answers.Add(answer);
        }

        Assert.Equal(3, answers.Count);
        Assert.Equal(["a", "b", "c"], answers.Select(a => a.InferResponse.Id));
        Assert.Empty(answers[0].ErrorMessage);
        Assert.Contains("unknown model 'nope'", answers[1].ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(answers[2].ErrorMessage);
        Assert.Equal(2 * SampleModels.FraudClasses * 4, answers[2].InferResponse.RawOutputContents[0].Length);
        Assert.Equal(SampleModels.FraudClasses, answers[0].InferResponse.Outputs[0].Contents.Fp32Contents.Count);
    }

    [Fact]
    public async Task Repository_IndexUnloadLoad_RoundTrip()
    {
        var index = await Client.RepositoryIndexAsync(new RepositoryIndexRequest());
        Assert.Contains(index.Models, m => m.Name == "fraud" && m.State == "READY");
        Assert.Contains(index.Models, m => m.Name == "broken" && m.State != "READY" && m.Reason.Length > 0);
        var ready = await Client.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true });
        Assert.DoesNotContain(ready.Models, m => m.Name == "broken");

        await Client.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "fraud" });
        Assert.False((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "fraud" })).Ready);
        await AssertStatusAsync(StatusCode.Unavailable, "fraud", () => Client.ModelInferAsync(FraudRequest(rows: 1)).ResponseAsync);

        await Client.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "fraud" });
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "fraud" })).Ready);
    }

    [Fact]
    public async Task Repository_Errors()
    {
        await AssertStatusAsync(StatusCode.NotFound, "nope", () => Client.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "nope" }).ResponseAsync);
        await AssertStatusAsync(StatusCode.InvalidArgument, "model_name is required", () => Client.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest()).ResponseAsync);
        await AssertStatusAsync(StatusCode.InvalidArgument, "leave repository_name empty", () => Client.RepositoryIndexAsync(new RepositoryIndexRequest { RepositoryName = "other" }).ResponseAsync);
    }

    internal static ModelInferRequest FraudRequest(int rows)
    {
        var request = new ModelInferRequest { ModelName = "fraud" };
        var input = Input("features", "FP32", [rows, SampleModels.FraudFeatures]);
        var random = new Random(rows);
        input.Contents = new InferTensorContents();
        for (var i = 0; i < rows * SampleModels.FraudFeatures; i++)
        {
            input.Contents.Fp32Contents.Add((float)((random.NextDouble() * 2) - 1));
        }

        request.Inputs.Add(input);
        return request;
    }

    internal static ModelInferRequest ToRaw(ModelInferRequest typed)
    {
        var raw = typed.Clone();
        foreach (var input in raw.Inputs)
        {
            var floats = input.Contents!.Fp32Contents.ToArray();
            raw.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan())));
            input.Contents = null;
        }

        return raw;
    }

    internal static ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, long[] shape)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype };
        input.Shape.AddRange(shape);
        return input;
    }

    private static async Task AssertStatusAsync(StatusCode expected, string messagePart, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(expected == error.StatusCode, $"expected {expected}, got {error.StatusCode}: {error.Status.Detail}");
        Assert.Contains(messagePart, error.Status.Detail, StringComparison.Ordinal);
    }
}
