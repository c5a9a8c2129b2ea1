using Usher.Core.Models;

namespace Usher.Core.Tests.Models;

public sealed class VersionPolicyTests
{
    [Theory]
    [InlineData("version_policy: { latest: { num_versions: 2 } }", 2)]
    [InlineData("version_policy: { latest: {} }", 1)]
    [InlineData("version_policy: { latest: 3 }", 3)]
    [InlineData("version_policy:\n  latest: 3\n", 3)]
    public void Parse_Latest_ReadsTheCount(string yaml, int count)
    {
        Assert.Equal(new VersionPolicy.Latest(count), ConfigYaml.Valid(yaml).VersionPolicy);
    }

    [Theory]
    [InlineData("version_policy: all")]
    [InlineData("version_policy: { all: {} }")]
    [InlineData("version_policy:\n  all:\n")]
    public void Parse_All_IsAll(string yaml)
    {
        Assert.IsType<VersionPolicy.All>(ConfigYaml.Valid(yaml).VersionPolicy);
    }

    [Theory]
    [InlineData("version_policy: { specific: { versions: [1, 3] } }")]
    [InlineData("version_policy: { specific: [1, 3] }")]
    public void Parse_Specific_ReadsTheVersions(string yaml)
    {
        var policy = Assert.IsType<VersionPolicy.Specific>(ConfigYaml.Valid(yaml).VersionPolicy);

        Assert.Equal([1L, 3L], policy.Versions);
    }

    [Theory]
    [InlineData("version_policy: newest", "version_policy: expected all, or a mapping with one of latest, all or specific, got 'newest'")]
    [InlineData("version_policy: {}", "version_policy: expected exactly one of latest, all or specific, got none")]
    [InlineData("version_policy: { latest: 1, all: {} }", "version_policy: expected exactly one of latest, all or specific, got latest and all")]
    [InlineData("version_policy: { latest: 0 }", "version_policy.latest: expected a positive integer, got '0'")]
    [InlineData("version_policy: { latest: { num_versions: two } }", "version_policy.latest.num_versions: expected a positive integer, got 'two'")]
    [InlineData("version_policy: { latest: { count: 2 } }", "version_policy.latest.count: unknown key (expected one of: num_versions)")]
    [InlineData("version_policy: { all: { x: 1 } }", "version_policy.all: expected {} (all takes no settings), got a mapping")]
    [InlineData("version_policy: { specific: [] }", "version_policy.specific: expected at least one version, got an empty list")]
    [InlineData("version_policy: { specific: [1, 0] }", "version_policy.specific[1]: expected a positive integer, got '0'")]
    [InlineData("version_policy: { specific: [2, 2] }", "version_policy.specific[1]: version 2 is listed twice")]
    [InlineData("version_policy: { specific: { versions: [1.5] } }", "version_policy.specific.versions[0]: expected a positive integer, got '1.5'")]
    [InlineData("version_policy: { specific: {} }", "version_policy.specific.versions: missing: the list of versions to load")]
    [InlineData("version_policy: { specific: 3 }", "version_policy.specific: expected a list, got '3'")]
    [InlineData("version_policy: { lastest: 2 }", "version_policy.lastest: unknown key (did you mean 'latest'?)")]
    public void Parse_InvalidVersionPolicy_NamesTheKey(string yaml, string expected)
    {
        Assert.Equal("config.yaml: " + expected, ConfigYaml.SingleError(yaml));
    }

    [Fact]
    public void Default_IsTheNewestVersionOnly()
    {
        Assert.Equal([7L], VersionPolicy.Default.Select([3, 7, 1]));
    }

    [Fact]
    public void Latest_SelectsTheNewestVersionsAscending()
    {
        Assert.Equal([5L, 10L], new VersionPolicy.Latest(2).Select([10, 1, 5, 2]));
    }

    [Fact]
    public void Latest_WithFewerVersionsThanTheCount_SelectsAll()
    {
        Assert.Equal([1L, 2L], new VersionPolicy.Latest(5).Select([2, 1]));
    }

    [Fact]
    public void All_SelectsEveryVersionAscending()
    {
        Assert.Equal([1L, 2L, 10L], new VersionPolicy.All().Select([10, 2, 1]));
    }

    [Fact]
    public void Specific_SelectsOnlyListedVersionsThatArePresent()
    {
        Assert.Equal([1L, 3L], new VersionPolicy.Specific([3, 1, 4]).Select([1, 2, 3]));
    }

    [Fact]
    public void Specific_WithNoListedVersionPresent_SelectsNothing()
    {
        Assert.Empty(new VersionPolicy.Specific([9]).Select([1, 2]));
    }

    [Fact]
    public void AnyPolicy_WithNoVersions_SelectsNothing()
    {
        Assert.Empty(new VersionPolicy.Latest(1).Select([]));
        Assert.Empty(new VersionPolicy.All().Select([]));
    }
}
