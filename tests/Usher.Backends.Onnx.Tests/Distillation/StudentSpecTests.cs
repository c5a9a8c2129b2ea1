using Usher.Backends.Onnx.Distillation;

namespace Usher.Backends.Onnx.Tests.Distillation;

public sealed class StudentSpecTests
{
    [Fact]
    public void Parse_Mlp_GivesTheWidthsAndLayerSizes()
    {
        var spec = StudentSpec.Parse("mlp:64,32", out var problem);

        Assert.Null(problem);
        Assert.Equal([64, 32], spec!.Hidden);
        Assert.Equal([30, 64, 32, 2], spec.Sizes(30, 2));
        Assert.Equal("mlp:64,32", spec.ToString());
    }

    [Theory]
    [InlineData("cnn:3", "'cnn:3': expected mlp:")]
    [InlineData("mlp:", "'' is not a width")]
    [InlineData("mlp:64,,32", "'' is not a width")]
    [InlineData("mlp:64,x", "'x' is not a width")]
    [InlineData("mlp:0", "'0' is not a width")]
    [InlineData("mlp:5000", "'5000' is not a width")]
    [InlineData("mlp:-4", "'-4' is not a width")]
    [InlineData("mlp:1,1,1,1,1,1,1,1,1", "9 hidden layers")]
    public void Parse_Malformed_SaysWhatWasExpected(string text, string found)
    {
        Assert.Null(StudentSpec.Parse(text, out var problem));

        Assert.Contains(found, problem, StringComparison.Ordinal);
        Assert.Contains("expected mlp:H1,H2,... with 1 to 8 hidden layer widths from 1 to 4096 (e.g. mlp:64,32)", problem, StringComparison.Ordinal);
    }
}
