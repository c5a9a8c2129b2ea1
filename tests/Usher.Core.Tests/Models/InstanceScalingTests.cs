namespace Usher.Core.Tests.Models;

public sealed class InstanceScalingTests
{
    [Fact]
    public void Parse_ARange_ReadsEveryKey()
    {
        var config = ConfigYaml.Valid("instances: { min: 2, max: 6, target_utilisation: 0.5, cool_down_seconds: 12.5 }\n");

        var scaling = config.Instances.Scaling!;
        Assert.Null(config.Instances.Count);
        Assert.False(config.Instances.IsAuto);
        Assert.Equal(2, scaling.Min);
        Assert.Equal(6, scaling.Max);
        Assert.Equal(0.5, scaling.TargetUtilisation);
        Assert.Equal(TimeSpan.FromSeconds(12.5), scaling.CoolDown);
    }

    [Fact]
    public void Parse_OnlyMax_TakesTheDefaults()
    {
        var scaling = ConfigYaml.Valid("instances: { max: 4 }\n").Instances.Scaling!;

        Assert.Equal(1, scaling.Min);
        Assert.Equal(4, scaling.Max);
        Assert.Equal(0.7, scaling.TargetUtilisation);
        Assert.Equal(TimeSpan.FromSeconds(30), scaling.CoolDown);
    }

    [Fact]
    public void Parse_ANumber_HasNoRange()
        => Assert.Null(ConfigYaml.Valid("instances: 3\n").Instances.Scaling);

    [Theory]
    [InlineData("instances: { min: 3, max: 2 }", "config.yaml: instances.max: max (2) is less than min (3); the version scales between min and max instances")]
    [InlineData("instances: { min: 1 }", "config.yaml: instances.max: missing: the most instances (an integer >= min), e.g. 'max: 4'")]
    [InlineData("instances: { min: 0, max: 2 }", "config.yaml: instances.min: expected a positive integer, got '0'")]
    [InlineData("instances: { max: 2, target_utilisation: 0 }", "config.yaml: instances.target_utilisation: expected a number > 0, got '0'")]
    [InlineData("instances: { max: 2, target_utilisation: 1.5 }", "config.yaml: instances.target_utilisation: expected a share of busy time in (0, 1], e.g. 0.7, got '1.5'")]
    [InlineData("instances: { max: 2, cool_down_seconds: -1 }", "config.yaml: instances.cool_down_seconds: expected a number of seconds >= 0, got '-1'")]
    public void Parse_ABrokenRange_SaysWhatToFix(string yaml, string expected)
        => Assert.Equal(expected, ConfigYaml.SingleError(yaml + "\n"));

    [Fact]
    public void Parse_SeveralBrokenRules_ReportsEach()
    {
        var errors = ConfigYaml.Errors("instances: { min: 5, max: 2, target_utilisation: 2, speed: 3 }\n");

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("instances.speed", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("instances.target_utilisation", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("max (2) is less than min (5)", StringComparison.Ordinal));
    }
}
