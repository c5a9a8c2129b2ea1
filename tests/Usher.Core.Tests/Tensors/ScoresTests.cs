using Usher.Core.Tensors;

namespace Usher.Core.Tests.Tensors;

public sealed class ScoresTests
{
    [Theory]
    [InlineData(new[] { 0.1, 0.7, 0.2 }, 1)]
    [InlineData(new[] { 0.9, 0.05, 0.05 }, 0)]
    [InlineData(new[] { -3.0, -1.0, -2.0 }, 1)]
    [InlineData(new[] { 0.4, 0.4, 0.2 }, 0)] // a tie goes to the lowest class
    [InlineData(new[] { 0.2, 0.4, 0.4 }, 1)]
    [InlineData(new[] { double.NaN, 0.5, 0.1 }, 1)] // NaN is never the largest
    [InlineData(new[] { double.NaN, double.NaN }, 0)]
    [InlineData(new[] { 7.0 }, 0)]
    public void ArgMax_IsTheFirstIndexOfTheLargestScore(double[] row, int expected)
        => Assert.Equal(expected, Scores.ArgMax(row));
}
