using System.Text;
using Usher.ControlPlane.Analysis;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class PredictionExtractorTests
{
    [Fact]
    public void Extract_LabelAndTwoColumnProbabilities_TakesLabelsAndPositiveClassScore()
    {
        var label = Tensor.FromSpan<long>("label", DataType.Int64, [3], [1, 0, 1]);
        var probabilities = Tensor.FromSpan<float>("probabilities", DataType.Fp32, [3, 2], [0.25f, 0.75f, 0.875f, 0.125f, 0.5f, 0.5f]);

        var result = PredictionExtractor.Extract([label, probabilities]);

        Assert.Equal(["1", "0", "1"], result.Labels);
        Assert.Equal([0.75, 0.125, 0.5], result.Scores);
    }

    [Fact]
    public void Extract_TwoColumnsWithoutLabelOutput_LabelsAreArgmax()
    {
        var probabilities = Tensor.FromSpan<double>("p", DataType.Fp64, [3, 2], [0.9, 0.1, 0.2, 0.8, 0.5, 0.5]);

        var result = PredictionExtractor.Extract([probabilities]);

        Assert.Equal(["0", "1", "0"], result.Labels);
        Assert.Equal([0.1, 0.8, 0.5], result.Scores);
    }

    [Fact]
    public void Extract_ManyColumns_GivesArgmaxLabelsAndNoScore()
    {
        var logits = Tensor.FromSpan<float>("logits", DataType.Fp32, [2, 4], [0f, 3f, 1f, 2f, -1f, -2f, -3f, -0.5f]);

        var result = PredictionExtractor.Extract([logits]);

        Assert.Equal(["1", "3"], result.Labels);
        Assert.Empty(result.Scores);
    }

    [Fact]
    public void Extract_ManyColumnsWithLabelOutput_KeepsTheLabelOutput()
    {
        var label = Tensor.FromSpan<int>("label", DataType.Int32, [2, 1], [7, 9]);
        var logits = Tensor.FromSpan<float>("logits", DataType.Fp32, [2, 3], [1f, 0f, 0f, 0f, 0f, 1f]);

        var result = PredictionExtractor.Extract([logits, label]);

        Assert.Equal(["7", "9"], result.Labels);
        Assert.Empty(result.Scores);
    }

    [Theory]
    [InlineData(new long[] { 3 })]
    [InlineData(new long[] { 3, 1 })]
    public void Extract_OneFloatPerRow_IsTheScore(long[] shape)
    {
        var output = Tensor.FromSpan<double>("y", DataType.Fp64, shape, [1.5, -2.25, 3.0]);

        var result = PredictionExtractor.Extract([output]);

        Assert.Equal([1.5, -2.25, 3.0], result.Scores);
        Assert.Empty(result.Labels);
    }

    [Fact]
    public void Extract_HalfPrecisionScores_AreWidened()
    {
        var output = Tensor.FromSpan<Half>("y", DataType.Fp16, [2], [(Half)0.5f, (Half)0.25f]);

        Assert.Equal([0.5, 0.25], PredictionExtractor.Extract([output]).Scores);
    }

    [Fact]
    public void Extract_BytesOutput_GivesUtf8Labels()
    {
        var output = Tensor.FromStrings("label", [2], [Encoding.UTF8.GetBytes("cat"), Encoding.UTF8.GetBytes("chien")]);

        Assert.Equal(["cat", "chien"], PredictionExtractor.Extract([output]).Labels);
    }

    [Fact]
    public void Extract_IgnoresMultiColumnIntegersAndRank3Floats()
    {
        var tokens = Tensor.FromSpan<int>("tokens", DataType.Int32, [2, 3], [1, 2, 3, 4, 5, 6]);
        var image = Tensor.FromSpan<float>("image", DataType.Fp32, [1, 2, 2], [1f, 2f, 3f, 4f]);

        var result = PredictionExtractor.Extract([tokens, image]);

        Assert.Same(ExtractedPredictions.None, result);
    }

    [Fact]
    public void Extract_ScoreOutputWithOtherRowCount_IsSkippedForOneThatMatches()
    {
        var label = Tensor.FromSpan<long>("label", DataType.Int64, [2], [0, 1]);
        var summary = Tensor.FromSpan<float>("summary", DataType.Fp32, [1], [9f]);
        var score = Tensor.FromSpan<float>("score", DataType.Fp32, [2], [0.25f, 0.5f]);

        var result = PredictionExtractor.Extract([label, summary, score]);

        Assert.Equal([0.25, 0.5], result.Scores);
    }
}
