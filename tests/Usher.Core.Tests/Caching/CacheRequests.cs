using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Caching;

/// <summary>Builds validated requests directly, as the validator would hand them to the cache.</summary>
internal static class CacheRequests
{
    public static Tensor Fp32(string name, long[] shape, params float[] values) => Tensor.FromSpan<float>(name, DataType.Fp32, shape, values);

    public static ValidatedRequest Request(
        Tensor[] inputs,
        string[]? outputs = null,
        Dictionary<string, object>? parameters = null,
        RequestedOutput[]? requestedOutputs = null)
    {
        var request = new InferenceRequest
        {
            ModelName = "m",
            Inputs = inputs,
            Parameters = parameters ?? [],
            Outputs = requestedOutputs,
        };
        var outputNames = outputs ?? ["y"];
        return new ValidatedRequest(request, inputs, outputNames, outputNames, 0);
    }

    public static ValidatedRequest Request(params Tensor[] inputs) => Request(inputs, null);
}
