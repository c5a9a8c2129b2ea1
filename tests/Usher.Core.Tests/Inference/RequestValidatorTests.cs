using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Inference;

public sealed class RequestValidatorTests
{
    private static readonly ModelSignature Fraud = new(
        [new TensorSpec("features", DataType.Fp32, [-1, 30])],
        [new TensorSpec("probabilities", DataType.Fp32, [-1, 2]), new TensorSpec("label", DataType.Int64, [-1])],
        maxBatchSize: 8,
        new Dictionary<string, string>());

    private static Tensor Features(long batch, int width = 30, DataType type = DataType.Fp32)
        => Tensor.FromBytes("features", type, [batch, width], new byte[batch * width * type.ElementSize()]);

    private static InferenceRequest Request(params Tensor[] inputs) => new() { ModelName = "fraud", Inputs = inputs };

    private static string Error(InferenceRequest request)
    {
        var result = RequestValidator.Validate(request, Fraud);
        Assert.False(result.IsSuccess);
        Assert.Equal(InferenceErrorKind.InvalidArgument, result.Error.Kind);
        return result.Error.Message;
    }

    [Fact]
    public void Validate_WithMatchingInput_ReturnsAllOutputsInModelOrderAndBatchSize()
    {
        var result = RequestValidator.Validate(Request(Features(3)), Fraud);
        Assert.True(result.IsSuccess);
        Assert.Equal(["probabilities", "label"], result.Value.OutputClientNames);
        Assert.Equal(3, result.Value.BatchSize);
    }

    [Fact]
    public void Validate_WithWrongDatatypeAndShape_NamesExpectedAndActual()
        => Assert.Equal("input 'features': expected FP32 [-1,30], got INT32 [4,31]", Error(Request(Features(4, 31, DataType.Int32))));

    [Fact]
    public void Validate_WithWrongRank_Fails()
    {
        var message = Error(Request(Tensor.FromBytes("features", DataType.Fp32, [30], new byte[120])));
        Assert.Contains("expected FP32 [-1,30], got FP32 [30]", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithUnknownInput_ListsTheModelsInputs()
    {
        var message = Error(Request(Features(1), Tensor.FromBytes("extra", DataType.Fp32, [1], new byte[4])));
        Assert.Contains("unknown input 'extra'", message, StringComparison.Ordinal);
        Assert.Contains("'features' FP32 [-1,30]", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithMissingInput_NamesIt()
    {
        var signature = new ModelSignature(
            [new TensorSpec("a", DataType.Fp32, [2]), new TensorSpec("b", DataType.Int64, [])],
            [new TensorSpec("y", DataType.Fp32, [2])],
            0,
            new Dictionary<string, string>());
        var result = RequestValidator.Validate(
            new InferenceRequest { ModelName = "m", Inputs = [Tensor.FromBytes("a", DataType.Fp32, [2], new byte[8])] }, signature);
        Assert.Equal("missing input 'b': expected INT64 []", result.Error!.Message);
    }

    [Fact]
    public void Validate_WithRepeatedInput_Fails()
        => Assert.Equal("input 'features' appears more than once", Error(Request(Features(1), Features(1))));

    [Fact]
    public void Validate_WithBatchOverMax_NamesTheLimit()
        => Assert.Equal("input 'features': batch size 9 exceeds the model's max_batch_size 8", Error(Request(Features(9))));

    [Fact]
    public void Validate_WithZeroBatch_Fails()
        => Assert.Contains("must be at least 1, got 0", Error(Request(Features(0))), StringComparison.Ordinal);

    [Fact]
    public void Validate_WithNoInputs_Fails()
        => Assert.Contains("the request has no inputs", Error(Request()), StringComparison.Ordinal);

    [Fact]
    public void Validate_WithUnknownOutput_ListsTheModelsOutputs()
    {
        var request = new InferenceRequest
        {
            ModelName = "fraud",
            Inputs = [Features(1)],
            Outputs = [new RequestedOutput("score", new Dictionary<string, object>())],
        };
        var message = Error(request);
        Assert.Contains("unknown output 'score'", message, StringComparison.Ordinal);
        Assert.Contains("'label' INT64 [-1]", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithSelectedOutputs_KeepsTheRequestedOrder()
    {
        var request = new InferenceRequest
        {
            ModelName = "fraud",
            Inputs = [Features(1)],
            Outputs = [new RequestedOutput("label", new Dictionary<string, object>()), new RequestedOutput("probabilities", new Dictionary<string, object>())],
        };
        Assert.Equal(["label", "probabilities"], RequestValidator.Validate(request, Fraud).Value!.OutputClientNames);
    }

    [Fact]
    public void Validate_WithAliases_MapsClientNamesToFileNames()
    {
        var signature = new ModelSignature(
            [new TensorSpec("x", DataType.Fp32, [1, 4])],
            [new TensorSpec("score", DataType.Fp32, [1, 1])],
            0,
            new Dictionary<string, string> { ["x"] = "onnx::Flatten_0", ["score"] = "39" });
        var result = RequestValidator.Validate(
            new InferenceRequest { ModelName = "m", Inputs = [Tensor.FromBytes("x", DataType.Fp32, [1, 4], new byte[16])] }, signature);
        Assert.Equal("onnx::Flatten_0", result.Value!.Inputs[0].Name);
        Assert.Equal(["39"], result.Value.OutputFileNames);
        Assert.Equal(["score"], result.Value.OutputClientNames);
    }
}
