using System.Text.Json.Nodes;
using Usher.Backends.Onnx.Samples;
using Usher.Server.Protos;

namespace Usher.Gateway.Tests.Functional;

/// <summary>Requests to the fraud sample, over REST JSON and gRPC.</summary>
internal static class FraudRequests
{
    public static JsonObject Json()
    {
        var data = new JsonArray();
        for (var i = 0; i < SampleModels.FraudFeatures; i++)
        {
            data.Add(0.01f * i);
        }

        return new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "features",
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(1, SampleModels.FraudFeatures),
                ["data"] = data,
            }),
        };
    }

    public static ModelInferRequest Grpc(string model = SampleModels.FraudName, string version = "")
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, SampleModels.FraudFeatures]);
        input.Contents.Fp32Contents.AddRange(new float[SampleModels.FraudFeatures]);
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version };
        request.Inputs.Add(input);
        return request;
    }
}
