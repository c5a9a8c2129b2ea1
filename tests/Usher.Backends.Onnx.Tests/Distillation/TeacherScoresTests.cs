using Usher.Backends.Onnx.Distillation;

namespace Usher.Backends.Onnx.Tests.Distillation;

public sealed class TeacherScoresTests
{
    [Fact]
    public void CheckProbabilities_Probabilities_Pass()
        => Assert.Null(TeacherScores.CheckProbabilities([0.25f, 0.75f, 1f, 0f], 2, 2, "p"));

    [Fact]
    public void CheckProbabilities_ValueOutsideZeroOne_NamesTheRowAndValue()
    {
        var problem = TeacherScores.CheckProbabilities([0.5f, 0.5f, 2.5f, -1.5f], 2, 2, "logits");

        Assert.Equal(
            "teacher output 'logits': expected probabilities (each in [0, 1], each row summing to 1: a softmax output), which distillation trains on; row 1 holds 2.5 ([2.5, -1.5])",
            problem);
    }

    [Fact]
    public void CheckProbabilities_RowNotSummingToOne_SaysWhatItSums()
    {
        var problem = TeacherScores.CheckProbabilities([0.5f, 0.5f, 0.6f, 0.6f], 2, 2, "scores");

        Assert.Contains("row 1 sums to 1.2 ([0.6, 0.6])", problem, StringComparison.Ordinal);
    }
}
