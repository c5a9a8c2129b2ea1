using Usher.Backends.Onnx;
using Usher.ControlPlane.Cluster;
using Usher.Core.Repository;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>What a replica reports of its models and load, read from a real model manager.</summary>
public sealed class ReplicaLoadTests
{
    [Fact]
    public async Task Measure_lists_every_version_with_its_readiness_and_sums_leases_and_instances()
    {
        using var dir = new TempDirectory();
        var repo = Path.Combine(dir.Path, "repo");
        SampleRepository.CopySample(repo, "fraud");
        // Two instances per version (the sample serves versions 1 and 2: version_policy all).
        var config = Path.Combine(repo, "fraud", "config.yaml");
        await File.AppendAllTextAsync(config, "instances: 2\n");
        await using var models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = repo, UnloadTimeoutSeconds = 5 });
        await models.LoadAllAsync(CancellationToken.None);

        var idle = ReplicaLoad.Measure(models);
        Assert.Equal([new ReplicaModel("fraud", 1, true), new ReplicaModel("fraud", 2, true)], idle.Models);
        Assert.Equal((0, 0, 4), (idle.QueueDepth, idle.InFlight, idle.Capacity));

        var lease = models.Acquire("fraud", 2);
        Assert.True(lease.IsSuccess);
        try
        {
            Assert.Equal(1, ReplicaLoad.Measure(models).InFlight);
        }
        finally
        {
            lease.Value!.Release();
        }

        await models.UnloadModelAsync("fraud", CancellationToken.None);
        var unloaded = ReplicaLoad.Measure(models);
        Assert.Empty(unloaded.Models);
        Assert.Equal((0, 0, 0), (unloaded.QueueDepth, unloaded.InFlight, unloaded.Capacity));
    }

    [Fact]
    public async Task Measure_carries_each_versions_hardware_requirement_from_its_config()
    {
        using var dir = new TempDirectory();
        var repo = Path.Combine(dir.Path, "repo");
        SampleRepository.CopySample(repo, "fraud");
        await File.AppendAllTextAsync(Path.Combine(repo, "fraud", "config.yaml"), "hardware: gpu\n");
        await using var models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = repo, UnloadTimeoutSeconds = 5 });
        await models.LoadAllAsync(CancellationToken.None);

        var load = ReplicaLoad.Measure(models);

        // Without the key (the test above) a version reports none.
        Assert.Equal([new ReplicaModel("fraud", 1, true, "gpu"), new ReplicaModel("fraud", 2, true, "gpu")], load.Models);
    }
}
