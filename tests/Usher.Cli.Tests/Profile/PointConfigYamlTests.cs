using Usher.Cli.Profile;
using Usher.Core.Models;

namespace Usher.Cli.Tests.Profile;

public sealed class PointConfigYamlTests
{
    private const string Original = """
        # a model's own file
        max_batch_size: 32
        inputs: [ { name: features, datatype: FP32, dims: [30] } ]
        version_policy: { latest: 2 }
        instances: 4
        onnxruntime: { intra_op_threads: 4, graph_optimization_level: basic }
        dynamic_batching: { max_queue_delay_microseconds: 100, latency_target_ms: 20 }
        cache: { enabled: true, max_bytes: 1048576 }
        """;

    [Fact]
    public void For_ReplacesTheSweptKeysAndKeepsTheRest()
    {
        var config = Parse(PointConfigYaml.For(Original, new PointConfig(3, 1, 8, 2, 1)));

        Assert.Equal(32, config.MaxBatchSize);
        Assert.Equal("features", Assert.Single(config.Inputs).Name);
        Assert.Equal(2, config.Instances.Count);
        Assert.Equal(1, config.OnnxRuntime.IntraOpThreads);
        Assert.Equal(GraphOptimization.Basic, config.OnnxRuntime.GraphOptimizationLevel);
        Assert.Equal(8, config.DynamicBatching!.MaxBatchSize);
        Assert.Null(config.DynamicBatching.MaxQueueDelayMicroseconds); // the adaptive mode
        Assert.Null(config.DynamicBatching.LatencyTargetMs);
        Assert.Null(config.Cache); // repeated generated requests would all hit it
        Assert.Equal([3L], config.VersionPolicy.Select([1, 2, 3, 4]));
    }

    [Fact]
    public void For_BatchOne_TurnsDynamicBatchingOff()
        => Assert.Null(Parse(PointConfigYaml.For(Original, new PointConfig(1, null, 1, 1, 2))).DynamicBatching);

    [Fact]
    public void For_Default_KeepsTheModelsOwnSettings()
    {
        var config = Parse(PointConfigYaml.For(Original, new PointConfig(1, null, 1, 1, 1, IsDefault: true)));

        Assert.Equal(4, config.Instances.Count);
        Assert.Equal(4, config.OnnxRuntime.IntraOpThreads);
        Assert.Equal(100, config.DynamicBatching!.MaxQueueDelayMicroseconds);
        Assert.Null(config.Cache);
        Assert.Equal([1L], config.VersionPolicy.Select([1, 2]));
    }

    [Fact]
    public void For_NoConfigFile_WritesAValidOne()
    {
        var config = Parse(PointConfigYaml.For(null, new PointConfig(2, null, 16, 1, 2)));

        Assert.Equal((1, 2, 16), (config.Instances.Count, config.OnnxRuntime.IntraOpThreads, config.DynamicBatching!.MaxBatchSize));
    }

    [Fact]
    public void Section_ParsesToThePoint()
    {
        var config = Parse(PointConfigYaml.Section(new PointConfig(1, null, 64, 2, 1)));

        Assert.Equal((2, 1, 64), (config.Instances.Count, config.OnnxRuntime.IntraOpThreads, config.DynamicBatching!.MaxBatchSize));
        Assert.Null(Parse(PointConfigYaml.Section(new PointConfig(1, null, 1, 1, 2))).DynamicBatching);
    }

    private static ModelConfig Parse(string yaml)
    {
        var result = ModelConfigParser.Parse(yaml, "config.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors) + "\n" + yaml);
        return result.Config!;
    }
}
