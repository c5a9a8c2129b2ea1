using Microsoft.Extensions.Logging.Abstractions;
using Usher.ControlPlane.Cluster;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>A replica warns, once per model and requirement, of a model whose <c>hardware:</c> its own <c>hw</c> label does not meet.</summary>
public sealed class HardwareRequirementCheckTests
{
    private static readonly ReplicaLoad GpuFraud = new([new ReplicaModel("fraud", 1, true, "gpu"), new ReplicaModel("fraud", 2, false, "gpu"), new ReplicaModel("churn", 1, true)], 0, 0, 2);

    [Fact]
    public void A_cpu_replica_warns_once_per_model_of_a_gpu_requirement_and_not_again_on_later_heartbeats()
    {
        var check = Check(new() { ["hw"] = "cpu", ["zone"] = "a" });

        Assert.Equal([("fraud", "gpu")], check.Check(GpuFraud));
        Assert.Empty(check.Check(GpuFraud));

        // A requirement that changed (the config was edited and the model reloaded) is warned of anew.
        Assert.Equal([("fraud", "tpu")], check.Check(new ReplicaLoad([new ReplicaModel("fraud", 3, true, "tpu")], 0, 0, 1)));
    }

    [Fact]
    public void A_replica_without_labels_warns()
    {
        Assert.Equal([("fraud", "gpu")], Check([]).Check(GpuFraud));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("GPU")]
    public void A_replica_whose_hw_label_meets_the_requirement_ignoring_case_does_not_warn(string hw)
    {
        Assert.Empty(Check(new() { ["hw"] = hw }).Check(GpuFraud));
    }

    private static HardwareRequirementCheck Check(Dictionary<string, string> labels) => new(labels, NullLogger.Instance);
}
