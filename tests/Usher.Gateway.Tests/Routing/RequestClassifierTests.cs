using Google.Protobuf;
using Usher.Gateway.Routing;
using Usher.Server.Protos;

namespace Usher.Gateway.Tests.Routing;

public sealed class RequestClassifierTests
{
    [Theory]
    [InlineData("POST", "/v2/models/fraud/infer", "Inference", "fraud", null)]
    [InlineData("POST", "/v2/models/fraud/versions/2/infer", "Inference", "fraud", 2L)]
    [InlineData("GET", "/v2/models/fraud/versions/2/ready", "Read", "fraud", 2L)]
    [InlineData("GET", "/v2/health/ready", "Read", null, null)]
    [InlineData("POST", "/v2/repository/models/fraud/load", "Control", null, null)]
    [InlineData("POST", "/admin/deployments", "Control", null, null)]
    [InlineData("PUT", "/admin/endpoints/fraud/faults/1", "Control", null, null)]
    public void Rest_ReadsKindModelAndPinnedVersion(string method, string path, string kind, string? model, long? version)
    {
        var expected = Enum.Parse<RequestKind>(kind);
        var target = RequestClassifier.Rest(path, method, hardware: null, region: null);

        Assert.Equal(expected, target.Kind);
        Assert.Equal(model, target.Model);
        Assert.Equal(version, target.Version);
        Assert.Equal(expected != RequestKind.Control, target.Retryable);
    }

    [Fact]
    public void GrpcModelName_ReadsNameAndVersion_FromARealModelInferRequestFrame()
    {
        var request = new ModelInferRequest { ModelName = "fraud", ModelVersion = "2", Id = "x" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Shape = { 1, 30 } });
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[4000]));

        Assert.True(GrpcModelName.TryParse(Frame(request.ToByteArray()).AsSpan(0, GrpcModelName.PrefixBytes), out var model, out var version));
        Assert.Equal("fraud", model);
        Assert.Equal("2", version);
    }

    [Fact]
    public void GrpcModelName_ModelReadyRequestWithoutVersion_AndCompressedOrCutFrames()
    {
        var ready = new ModelReadyRequest { Name = "churn" }.ToByteArray();
        Assert.True(GrpcModelName.TryParse(Frame(ready), out var model, out var version));
        Assert.Equal("churn", model);
        Assert.Null(version);

        var compressed = Frame(ready);
        compressed[0] = 1;
        Assert.False(GrpcModelName.TryParse(compressed, out _, out _));
        Assert.False(GrpcModelName.TryParse(Frame(ready).AsSpan(0, 7), out _, out _));
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }
}
