using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Models;

public sealed class ModelSignatureBuilderTests
{
    private static readonly TensorSpec[] FraudIn = [new("features", DataType.Fp32, [-1, 30])];
    private static readonly TensorSpec[] FraudOut = [new("probabilities", DataType.Fp32, [-1, 2]), new("label", DataType.Int64, [-1])];

    [Fact]
    public void Build_WithoutConfig_WhenEveryTensorHasDynamicFirstDim_IsBatchedWithDefaultLimit()
    {
        var signature = ModelSignatureBuilder.Build("fraud", ModelConfig.Default, FraudIn, FraudOut);
        Assert.Equal(ModelSignatureBuilder.DefaultMaxBatchSize, signature.MaxBatchSize);
        Assert.Equal([-1L, 30], signature.Inputs[0].Shape);
    }

    [Fact]
    public void Build_WithoutConfig_WhenBatchDimIsNotFirst_IsUnbatched()
    {
        // Silero's state is [2, B, 128]: batching along dim 0 would be wrong.
        TensorSpec[] inputs = [new("input", DataType.Fp32, [-1, -1]), new("state", DataType.Fp32, [2, -1, 128]), new("sr", DataType.Int64, [])];
        var signature = ModelSignatureBuilder.Build("silero", ModelConfig.Default, inputs, [new("output", DataType.Fp32, [-1, 1])]);
        Assert.False(signature.IsBatched);
    }

    [Fact]
    public void Build_WithoutConfig_WhenBatchIsFixedAtOne_IsUnbatched()
    {
        var signature = ModelSignatureBuilder.Build("deepa", ModelConfig.Default, [new("x", DataType.Fp32, [1, 25, 96])], [new("39", DataType.Fp32, [1, 1])]);
        Assert.Equal(0, signature.MaxBatchSize);
    }

    [Fact]
    public void Build_WithMaxBatchSizeOnFixedModel_FailsNamingTheTensor()
    {
        var config = ModelConfig.Default with { MaxBatchSize = 8 };
        var ex = Assert.Throws<ModelLoadException>(() => ModelSignatureBuilder.Build("deepa", config, [new("x", DataType.Fp32, [1, 25, 96])], [new("39", DataType.Fp32, [1, 1])]));
        Assert.Contains("'x' has [1,25,96]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithMaxBatchSizeZero_ServesUnbatched()
    {
        var signature = ModelSignatureBuilder.Build("fraud", ModelConfig.Default with { MaxBatchSize = 0 }, FraudIn, FraudOut);
        Assert.False(signature.IsBatched);
    }

    [Fact]
    public void Build_WithDeclaredDatatypeThatDiffers_Fails()
    {
        var config = ModelConfig.Default with { Inputs = [new TensorOverride("features", DataType.Fp16)] };
        var ex = Assert.Throws<ModelLoadException>(() => ModelSignatureBuilder.Build("fraud", config, FraudIn, FraudOut));
        Assert.Contains("input 'features': config.yaml declares FP16 but the model has FP32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithDimsFixingAVariableDim_UsesTheDeclaredShape()
    {
        TensorSpec[] inputs = [new("x", DataType.Fp32, [-1, -1])];
        var config = ModelConfig.Default with { Inputs = [new TensorOverride("x", Dims: [512])] };
        var signature = ModelSignatureBuilder.Build("m", config, inputs, [new("y", DataType.Fp32, [-1, 1])]);
        Assert.Equal([-1L, 512], signature.Inputs[0].Shape);
    }

    [Fact]
    public void Build_WithDimsContradictingTheModel_Fails()
    {
        var config = ModelConfig.Default with { Inputs = [new TensorOverride("features", Dims: [31])] };
        var ex = Assert.Throws<ModelLoadException>(() => ModelSignatureBuilder.Build("fraud", config, FraudIn, FraudOut));
        Assert.Contains("declares dims [31]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithUnknownOverride_FailsListingTheModelsTensors()
    {
        var config = ModelConfig.Default with { Outputs = [new TensorOverride("score")] };
        var ex = Assert.Throws<ModelLoadException>(() => ModelSignatureBuilder.Build("fraud", config, FraudIn, FraudOut));
        Assert.Contains("declares output 'score' but the model has no such output (its outputs: probabilities, label)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithAlias_ExposesTheAliasAndMapsBack()
    {
        var config = ModelConfig.Default with { Outputs = [new TensorOverride("label", Alias: "class")] };
        var signature = ModelSignatureBuilder.Build("fraud", config, FraudIn, FraudOut);
        Assert.Equal("class", signature.Outputs[1].Name);
        Assert.Equal("label", signature.ToFileName("class"));
        Assert.Equal("class", signature.ToClientName("label"));
    }
}
