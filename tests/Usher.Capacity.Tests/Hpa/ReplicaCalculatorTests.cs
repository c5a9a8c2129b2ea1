using Usher.Capacity.Hpa;

namespace Usher.Capacity.Tests.Hpa;

// Cases from kubernetes/website horizontal-pod-autoscale.md, computed by hand.
public sealed class ReplicaCalculatorTests
{
    [Fact]
    public void Desired_WhenMetricIsTwiceTheTarget_DoublesTheReplicas()
    {
        // "if the current metric value is 200m, and the desired value is 100m, the number of replicas will be doubled"
        // (in millicores, as the controller counts them: 0.2 / 0.1 in floating point is 2.0000000000000004).
        Assert.Equal(6, ReplicaCalculator.Desired(3, [200, 200, 200], 0, 100, 0.1, StartingPods.Ignored));
    }

    [Fact]
    public void Desired_WhenMetricIsHalfTheTarget_HalvesTheReplicas()
    {
        // "If the current value is instead 50m, you'll halve the number of replicas"
        Assert.Equal(2, ReplicaCalculator.Desired(4, [50, 50, 50, 50], 0, 100, 0.1, StartingPods.Ignored));
    }

    [Fact]
    public void Desired_RoundsUp()
    {
        // 4 pods, queue 12 per pod, target 5: ceil(4 x 2.4) = 10 (reference notes, section 5.1).
        Assert.Equal(10, ReplicaCalculator.Desired(4, [12, 12, 12, 12], 0, 5, 0.1, StartingPods.AtTarget));

        // 3 pods at 80% against 70%: ceil(3 x 8/7 = 3.43) = 4.
        Assert.Equal(4, ReplicaCalculator.Desired(3, [0.8, 0.8, 0.8], 0, 0.7, 0.1, StartingPods.Ignored));
    }

    [Theory]
    [InlineData(0.109, 10)] // ratio 1.09: within 10%, no change (ceil would give 11)
    [InlineData(0.111, 12)] // ratio 1.11: ceil(10 x 1.11 = 11.1) = 12
    [InlineData(0.091, 10)] // ratio 0.91: within, no change
    [InlineData(0.089, 9)]  // ratio 0.89: ceil(8.9) = 9
    public void Desired_WithinTenPercent_KeepsTheReplicas(double value, int expected)
    {
        var values = Enumerable.Repeat(value, 10).ToList();
        Assert.Equal(expected, ReplicaCalculator.Desired(10, values, 0, 0.1, 0.1, StartingPods.Ignored));
    }

    [Fact]
    public void Desired_OnScaleUp_CountsStartingPodsAtZero()
    {
        // 2 ready at 2x the target, 2 starting: naive ceil(2 x 2) = 4; with the starting pods at 0
        // the ratio is 4/4 = 1.0, within tolerance: no change from the 4 replicas.
        Assert.Equal(4, ReplicaCalculator.Desired(4, [2, 2], 2, 1, 0.1, StartingPods.AtTarget));

        // 2 ready at 3x, 1 starting: (3 + 3 + 0) / 3 = 2.0 -> ceil(2 x 3) = 6.
        Assert.Equal(6, ReplicaCalculator.Desired(3, [3, 3], 1, 1, 0.1, StartingPods.Ignored));
    }

    [Fact]
    public void Desired_OnScaleDown_MissingPodsCountAtTheTarget()
    {
        // A Pods metric: 2 ready at 0.25 of the target, 2 starting (no sample, counted at the target):
        // (0.25 + 0.25 + 1 + 1) / 4 = 0.625 -> ceil(4 x 0.625) = 3, instead of ceil(2 x 0.25) = 1.
        Assert.Equal(3, ReplicaCalculator.Desired(4, [0.25, 0.25], 2, 1, 0.1, StartingPods.AtTarget));
    }

    [Fact]
    public void Desired_OnScaleDown_CpuSetsNotReadyPodsAside()
    {
        // CPU: not-ready pods are left out on a scale-down: ceil(2 x 0.25) = 1.
        Assert.Equal(1, ReplicaCalculator.Desired(4, [0.25, 0.25], 2, 1, 0.1, StartingPods.Ignored));
    }

    [Fact]
    public void Desired_WhenStartingPodsFlipTheDirection_KeepsTheReplicas()
    {
        // 1 ready at 1.5x, 2 starting at 0: 1.5 / 3 = 0.5 < 1 flips a scale-up into a scale-down: no change.
        Assert.Equal(3, ReplicaCalculator.Desired(3, [1.5], 2, 1, 0.1, StartingPods.AtTarget));
    }
}
