using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class CapacityPlanTests
{
    [Theory]
    [InlineData(1000, 1400, 2)]   // 1400 / (0.7 x 1000) = 2 exactly
    [InlineData(1000, 1401, 3)]
    [InlineData(1000, 10, 1)]     // never fewer than one
    [InlineData(2500, 20000, 12)] // 20000 / 1750 = 11.43
    public void For_ReplicasCarryAtMostSeventyPercentOfTheirMeasuredThroughput(double throughput, double target, int replicas)
    {
        var plan = CapacityPlan.For(Points.Of(throughput, 2, instances: 2, threads: 1), target, 5, baseMiB: 100);

        Assert.Equal(replicas, plan.Replicas);
        Assert.Equal(2, plan.CoresPerReplica);
        Assert.Equal(throughput * 0.7, plan.PlannedRpsPerReplica, 9);
    }

    [Theory]
    [InlineData(100, 50, 0.25)]    // 150 MiB x 1.25 = 187.5 MiB = 0.183 GiB -> 0.25
    [InlineData(300, 109.6, 0.5)]  // 409.6 x 1.25 = 512 MiB = 0.5 GiB exactly
    [InlineData(300, 110, 0.625)]  // 410 x 1.25 = 512.5 MiB -> 0.625
    [InlineData(0, 0, 0.125)]      // never below one step
    public void For_MemoryIsBasePlusPeakWithHeadroom_RoundedUpToAnEighthGiB(double baseMiB, double peakMiB, double gib)
    {
        var plan = CapacityPlan.For(Points.Of(1000, 2, peakMiB: peakMiB), null, null, baseMiB);

        Assert.Equal(gib, plan.MemoryGiBPerReplica, 9);
        Assert.Null(plan.Replicas);
    }

    [Fact]
    public void Describe_AnswersTheQuestion()
    {
        var plan = CapacityPlan.For(Points.Of(2500, 2, instances: 2, peakMiB: 50), 20000, 5, baseMiB: 100);

        Assert.Equal(
            "for 20000 req/s at p99 <= 5 ms you need 12 replicas of 2 cores and 0.25 GiB (each planned at 70% of its measured 2500 req/s: 1750 req/s)",
            plan.Describe());
        Assert.Contains("pass --target-rps", CapacityPlan.For(Points.Of(2500, 2), null, null, 100).Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void For_AReplicaGetsTheCoresItsServerRanOn()
    {
        // One instance of one thread, measured on a 4-core server: the frontend used the other cores, so a replica needs 4.
        var point = Points.Of(2000, 2) with { Load = new ServerLoad(4, 1500, 1600, 100, null) };

        var plan = CapacityPlan.For(point, 7000, 5, baseMiB: 100);

        Assert.Equal(4, plan.CoresPerReplica);
        Assert.Equal(5, plan.Replicas); // 7000 / (0.7 x 2000) = 5
    }
}
