using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class ProfileGridTests
{
    [Fact]
    public void Default_OnTwoCores_LeavesOutPairsThatOversubscribe()
    {
        var grid = ProfileGrid.Default(2, quick: false);

        Assert.Equal([1, 8, 64], grid.BatchSizes);
        Assert.Equal([(1, 1), (1, 2), (2, 1)], grid.Pairs); // 2 instances x 2 threads would need 4 cores
    }

    [Fact]
    public void Default_OnOneCore_IsOnePairAndQuickIsSmaller()
    {
        Assert.Equal([(1, 1)], ProfileGrid.Default(1, quick: false).Pairs);
        Assert.Equal([1, 32], ProfileGrid.Default(8, quick: true).BatchSizes);
    }

    [Fact]
    public void Check_InstancesThatCannotFitTheCores_SaysSo()
    {
        var problems = new List<string>();

        new ProfileGrid([1], [1, 4], [1], Cores: 2).Check(problems);

        var problem = Assert.Single(problems);
        Assert.Contains("--instances 4: needs 4 cores with --threads 1; this process may run on 2", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NonPositiveValues_AreRefused()
    {
        var problems = new List<string>();

        new ProfileGrid([0], [1], [], Cores: 2).Check(problems);

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("--batch-sizes: expected a list of integers >= 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--threads: expected a list of integers >= 1 (such as 1,2), got nothing", StringComparison.Ordinal));
    }

    [Fact]
    public void FitModel_DefaultSizesAreFitted_GivenSizesAreChecked()
    {
        var problems = new List<string>();

        Assert.Equal([1, 8, 16], ProfileGrid.Default(2, false).FitModel(16, problems)!.BatchSizes);
        Assert.Equal([1], ProfileGrid.Default(2, false).FitModel(0, problems)!.BatchSizes);
        Assert.Empty(problems);

        Assert.Null(new ProfileGrid([1, 32, 128], [1], [1], 2).FitModel(64, problems));
        Assert.Null(new ProfileGrid([1, 2], [1], [1], 2).FitModel(0, problems));
        Assert.Equal(
            ["--batch-sizes: 128 above the model's max_batch_size 64; expected sizes from 1 to 64",
             "--batch-sizes 1,2: the model is not batched (max_batch_size 0), so only 1 (dynamic batching off) applies; pass --batch-sizes 1"],
            problems);
    }
}
