using Usher.Capacity.Hpa;

namespace Usher.Capacity.Tests.Hpa;

public sealed class HorizontalPodAutoscalerTests
{
    private static HpaSpec Spec(ScalingRules? up = null, ScalingRules? down = null, int min = 1, int max = 100) =>
        new(min, max, 1, 0.1, up ?? ScalingRules.DefaultScaleUp, down ?? ScalingRules.DefaultScaleDown, StartingPods.AtTarget);

    private static double[] At(int pods, double value) => [.. Enumerable.Repeat(value, pods)];

    [Fact]
    public void ScaleUp_DefaultPolicies_AllowDoubleOrFourPodsPerPeriod()
    {
        // Reference notes 5.1: 4 pods, metric 2.4x -> 10 desired; max(100% = 8, 4 pods = 8) allows 8, then 10.
        var hpa = new HorizontalPodAutoscaler(Spec());
        Assert.Equal(8, hpa.Reconcile(15, 4, At(4, 2.4), 0));

        // 15 s later the first event is no longer inside the 15 s period: 8 may double; 10 desired.
        // (8 ready at 1.25x: ceil(8 x 1.25) = 10.)
        Assert.Equal(10, hpa.Reconcile(30, 8, At(8, 1.25), 0));
    }

    [Fact]
    public void ScaleUp_FromOnePod_FourPodsBeatOneHundredPercent()
    {
        // 1 pod at 10x: desired 10; 100% of 1 allows 2, 4 pods allows 5: Max picks 5.
        var hpa = new HorizontalPodAutoscaler(Spec());
        Assert.Equal(5, hpa.Reconcile(15, 1, [10.0], 0));
    }

    [Fact]
    public void ScaleUp_SelectMin_TakesTheSmallerAllowance()
    {
        var up = ScalingRules.DefaultScaleUp with { Select = SelectPolicy.Min };
        var hpa = new HorizontalPodAutoscaler(Spec(up));
        Assert.Equal(2, hpa.Reconcile(15, 1, [10.0], 0)); // min(100% of 1 -> 2, 1 + 4 = 5)
    }

    [Fact]
    public void ScaleUp_IsCappedByMaxReplicas()
    {
        var hpa = new HorizontalPodAutoscaler(Spec(max: 6));
        Assert.Equal(6, hpa.Reconcile(15, 4, At(4, 2.4), 0));
    }

    [Fact]
    public void ScaleDown_WaitsForTheStabilizationWindow()
    {
        // Default window 300 s: the highest recommendation of the last 300 s wins; a new HPA starts its
        // window with the current replicas, so 10 pods at 0.3x (desired 3) stay 10 for 300 s.
        var hpa = new HorizontalPodAutoscaler(Spec());
        for (var t = 15; t <= 300; t += 15)
        {
            Assert.Equal(10, hpa.Reconcile(t, 10, At(10, 0.3), 0));
        }

        // At 315 s the seed (at 15 s) has left the window (15 is not after 315 - 300): only 3s remain.
        Assert.Equal(3, hpa.Reconcile(315, 10, At(10, 0.3), 0));
    }

    [Fact]
    public void ScaleDown_AfterALoadPeak_HoldsThePeakRecommendationForTheWindow()
    {
        var hpa = new HorizontalPodAutoscaler(Spec(down: ScalingRules.DefaultScaleDown with { StabilizationWindowSeconds = 60 }));
        Assert.Equal(8, hpa.Reconcile(15, 4, At(4, 2), 0));   // peak: desired 8
        Assert.Equal(8, hpa.Reconcile(30, 8, At(8, 0.25), 0)); // desired 2, but 8 was recommended 15 s ago
        Assert.Equal(8, hpa.Reconcile(60, 8, At(8, 0.25), 0));
        Assert.Equal(2, hpa.Reconcile(75, 8, At(8, 0.25), 0)); // the 8 of 15 s is out of (15, 75]
    }

    [Fact]
    public void ScaleDown_PercentAndPodsPolicies_FollowTheKubernetesDocsExample()
    {
        // horizontal-pod-autoscale.md: policies Pods 4 / 60 s and Percent 10 / 60 s, selectPolicy Max:
        // from 80 replicas towards 10, the first step removes 8 (10% of 80 > 4); in the next period,
        // from 72, 10% is 7.2 and the change is rounded up: 8 more go (72 x 0.9 = 64.8 -> 64).
        var down = new ScalingRules(0, SelectPolicy.Max,
            [new ScalingPolicy(ScalingPolicyType.Pods, 4, 60), new ScalingPolicy(ScalingPolicyType.Percent, 10, 60)]);
        var hpa = new HorizontalPodAutoscaler(Spec(down: down));
        Assert.Equal(72, hpa.Reconcile(15, 80, At(80, 0.125), 0));

        // Within the same 60 s period nothing more may go: the period started at 80.
        Assert.Equal(72, hpa.Reconcile(30, 72, At(72, 0.125), 0));
        Assert.Equal(72, hpa.Reconcile(60, 72, At(72, 0.125), 0));

        // At 75 s the event at 15 s has left the period (15 is not after 75 - 60).
        Assert.Equal(64, hpa.Reconcile(75, 72, At(72, 0.125), 0));
    }

    [Fact]
    public void ScaleDown_StopsAtMinReplicas()
    {
        var hpa = new HorizontalPodAutoscaler(Spec(down: ScalingRules.DefaultScaleDown with { StabilizationWindowSeconds = 0 }, min: 3));
        Assert.Equal(3, hpa.Reconcile(15, 10, At(10, 0.01), 0));
    }

    [Fact]
    public void Disabled_DirectionNeverScales()
    {
        var hpa = new HorizontalPodAutoscaler(Spec(up: ScalingRules.DefaultScaleUp with { Select = SelectPolicy.Disabled }));
        Assert.Equal(4, hpa.Reconcile(15, 4, At(4, 3), 0));
    }

    [Fact]
    public void TwoMetrics_TheLargerRecommendationWins()
    {
        // Queue 0.5 of its target says ceil(4 x 0.5) = 2; CPU at 0.9 against 0.6 says ceil(4 x 1.5) = 6.
        var spec = Spec() with { CpuTarget = 0.6 };
        var hpa = new HorizontalPodAutoscaler(spec);
        Assert.Equal(6, hpa.Reconcile(15, 4, At(4, 0.5), 0, At(4, 0.9)));

        // Without the CPU values the queue alone would hold (scale-down window): 4.
        Assert.Equal(4, new HorizontalPodAutoscaler(spec).Reconcile(15, 4, At(4, 0.5), 0));
    }
}
