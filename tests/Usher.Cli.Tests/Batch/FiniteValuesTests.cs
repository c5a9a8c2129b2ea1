using Usher.Cli.Batch;

namespace Usher.Cli.Tests.Batch;

public sealed class FiniteValuesTests
{
    public static TheoryData<float> NonFinite => [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    [Theory]
    [MemberData(nameof(NonFinite))]
    public void FirstNonFinite_Fp32_FindsTheFirstAtEveryPositionAndLength(float bad)
    {
        // Lengths around the vector width (and the 1,024 of mlp-large), the bad value at every
        // position, a second one after it: the answer is what a plain scan says.
        foreach (var length in new[] { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1024 })
        {
            var values = Enumerable.Range(0, length).Select(i => (i * 0.37f) - 100f).ToArray();
            Assert.Equal(-1, FiniteValues.FirstNonFinite<float>(values));
            for (var at = 0; at < length; at++)
            {
                var copy = (float[])values.Clone();
                copy[at] = bad;
                if (at + 2 < length)
                {
                    copy[at + 2] = float.NaN;
                }

                Assert.Equal(Array.FindIndex(copy, v => !float.IsFinite(v)), FiniteValues.FirstNonFinite<float>(copy));
                Assert.Equal(at, FiniteValues.FirstNonFinite<float>(copy));
            }
        }
    }

    [Fact]
    public void FirstNonFinite_Fp64_LargeFiniteValuesAreFinite_InfinityIsFound()
    {
        // double.MaxValue - double.MaxValue is 0: large values are not mistaken for infinities.
        var values = Enumerable.Range(0, 37).Select(i => i % 2 == 0 ? double.MaxValue : -double.MaxValue).ToArray();
        Assert.Equal(-1, FiniteValues.FirstNonFinite<double>(values));

        values[35] = double.NegativeInfinity;
        Assert.Equal(35, FiniteValues.FirstNonFinite<double>(values));
    }
}
