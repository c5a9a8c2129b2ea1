using Usher.Cli.Commands;

namespace Usher.Cli.Tests.Commands;

public sealed class DeploymentSpecValidatorTests
{
    private static readonly DeploymentSpec Canary = new() { Endpoint = "fraud", Version = 2, Strategy = "canary" };

    [Fact]
    public void Validate_NothingGiven_ReportsEveryRequiredKeyWithWhereToGiveIt()
    {
        Assert.Equal(
            [
                "endpoint: missing; give ENDPOINT on the command line or 'endpoint:' in the spec file",
                "version: missing; pass --version V or set 'version:' in the spec file",
                "strategy: missing; pass --strategy canary|blue-green|direct|shadow|ab|bandit or set 'strategy:' in the spec file",
            ],
            DeploymentSpecValidator.Validate(DeploymentSpec.Empty, []));
    }

    [Theory]
    [InlineData(new long[] { 5, 25, 50, 100 })]
    [InlineData(new long[] { 100 })]
    [InlineData(new long[] { 1, 2, 100 })]
    public void Validate_AscendingStepsEndingAt100_Pass(long[] steps)
    {
        Assert.Empty(DeploymentSpecValidator.Validate(Canary with { Steps = steps }, []));
    }

    [Fact]
    public void Validate_BadSteps_ReportsEachBrokenRule()
    {
        var problems = DeploymentSpecValidator.Validate(Canary with { Steps = [0, 50, 50, 101, 90] }, []);

        Assert.Equal(
            [
                "canary.steps[0]: expected a weight from 1 to 100 (percent), got 0",
                "canary.steps[2]: weights must ascend, got 50 after 50",
                "canary.steps[3]: expected a weight from 1 to 100 (percent), got 101",
                "canary.steps[4]: weights must ascend, got 90 after 101",
                "canary.steps: the last weight must be 100 so that the candidate ends with all traffic, got 90; append 100",
            ],
            problems);
    }

    [Fact]
    public void Validate_NoSteps_SaysWhatAListLooksLike()
    {
        Assert.Equal(
            ["canary.steps: expected at least one weight, ending at 100, e.g. 5,25,50,100"],
            DeploymentSpecValidator.Validate(Canary with { Steps = [] }, []));
    }

    [Theory]
    [InlineData("bluegreen", "strategy: unknown strategy 'bluegreen' (did you mean 'blue-green'?)")]
    [InlineData("blue_green", "strategy: unknown strategy 'blue_green' (did you mean 'blue-green'?)")]
    [InlineData("canery", "strategy: unknown strategy 'canery' (did you mean 'canary'?)")]
    [InlineData("mirror", "strategy: unknown strategy 'mirror' (expected one of: canary, blue-green, direct, shadow, ab, bandit)")]
    public void Validate_UnknownStrategy_SuggestsTheNearestOne(string strategy, string expected)
    {
        Assert.Equal([expected], DeploymentSpecValidator.Validate(Canary with { Strategy = strategy }, []));
    }

    [Fact]
    public void Validate_StrategyInAnyCase_IsKnown()
    {
        Assert.Empty(DeploymentSpecValidator.Validate(Canary with { Strategy = "Blue-Green" }, []));
    }

    [Fact]
    public void Validate_SectionsOfAnotherStrategy_AreProblems()
    {
        var spec = Canary with { Strategy = "direct", Steps = [5, 100], Interval = "60s", RollbackWindow = "10m" };

        Assert.Equal(
            [
                "canary.steps (--steps): applies only to strategy canary, not direct; remove it or use --strategy canary",
                "canary.interval (--interval): applies only to strategy canary, not direct; remove it or use --strategy canary",
                "blue_green.rollback_window (--rollback-window): applies only to strategy blue-green, not direct; remove it or use --strategy blue-green",
            ],
            DeploymentSpecValidator.Validate(spec, []));
    }
}
