using Usher.Core.Routing;

namespace Usher.Core.Tests.Routing;

public sealed class BucketHashTests
{
    // GrowthBook's sdk-js test cases (statistics.md T19), reproduced independently there.
    [Theory]
    [InlineData("seed", "a", 0.0505)]
    [InlineData("seed", "b", 0.2696)]
    [InlineData("foo", "ab", 0.2575)]
    [InlineData("foo", "def", 0.2019)]
    [InlineData("89123klj", "8952klfjas09ujkasdf", 0.124)]
    public void Hash_MatchesGrowthBookVersion2Vectors(string seed, string key, double expected)
        => Assert.Equal(expected, BucketHash.Hash(seed, key), 10);

    [Theory]
    [InlineData("", "a", 0.22)]
    [InlineData("", "b", 0.077)]
    public void HashV1_MatchesGrowthBookVersion1Vectors(string seed, string key, double expected)
        => Assert.Equal(expected, BucketHash.HashV1(seed, key), 10);

    [Fact]
    public void Fnv1a32_OfEmptyString_IsTheOffsetBasis_AndOfAIsTheKnownValue()
    {
        Assert.Equal(0x811c9dc5u, BucketHash.Fnv1a32(""));
        Assert.Equal(0xe40c292cu, BucketHash.Fnv1a32("a"));
    }

    [Fact]
    public void Hash_IsUniformEnough_OverManyKeys()
    {
        var counts = new int[10];
        for (var i = 0; i < 20_000; i++)
        {
            counts[(int)(BucketHash.Hash("fraud", "user-" + i) * 10)]++;
        }

        // Each tenth of the space holds 2000 ± 5σ (σ = sqrt(20000·0.1·0.9) ≈ 42).
        Assert.All(counts, c => Assert.InRange(c, 2000 - 212, 2000 + 212));
    }
}
