using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Models;

public sealed class ModelConfigParserTests
{
    private const string Full = """
        max_batch_size: 64
        inputs:
          - { name: features, datatype: FP32, dims: [30] }
          - name: tokens
            datatype: INT64
            dims: [-1, 128]
            alias: ids
        outputs: [ { name: "39", alias: score } ]
        version_policy: { latest: { num_versions: 2 } }
        instances: 2
        onnxruntime: { intra_op_threads: 3, inter_op_threads: 2, graph_optimization_level: extended, execution_provider: cuda, device_id: 1, allow_spinning: true }
        warmup:
          - name: zeros
            batch_size: 8
            count: 2
            inputs:
              features: { zeros: true }
              tokens: { random: true, dims: [4, 128] }
          - name: literal
            inputs:
              features: { values: [1, -2.5, 3e2] }
        dynamic_batching:
          max_batch_size: 32
          max_queue_delay_microseconds: 100
          preferred_batch_size: [4, 8]
          priority_levels: 2
          default_priority_level: 1
          default_queue_policy: { max_queue_size: 100, default_timeout_microseconds: 5000, allow_timeout_override: true, timeout_action: DELAY }
          priority_queue_policy:
            1: { max_queue_size: 10 }
            2: { timeout_action: REJECT, default_timeout_microseconds: 7 }
          latency_target_ms: 20.5
        cache: { enabled: true, max_bytes: 1048576, ttl_seconds: 60, key_inputs: [features], round_decimals: 3 }
        """;

    [Fact]
    public void Parse_FullConfig_ReadsTopLevelFields()
    {
        var config = ConfigYaml.Valid(Full);

        Assert.Equal(64, config.MaxBatchSize);
        Assert.Equal(2, config.Instances.Count);
        Assert.False(config.Instances.IsAuto);
        Assert.Equal(new VersionPolicy.Latest(2), config.VersionPolicy);
    }

    [Fact]
    public void Parse_FullConfig_ReadsInputsAndOutputs()
    {
        var config = ConfigYaml.Valid(Full);

        Assert.Equal(2, config.Inputs.Count);
        Assert.Equal("features", config.Inputs[0].Name);
        Assert.Equal(DataType.Fp32, config.Inputs[0].DataType);
        Assert.Equal([30L], config.Inputs[0].Dims!);
        Assert.Null(config.Inputs[0].Alias);
        Assert.Equal("tokens", config.Inputs[1].Name);
        Assert.Equal(DataType.Int64, config.Inputs[1].DataType);
        Assert.Equal([-1L, 128L], config.Inputs[1].Dims!);
        Assert.Equal("ids", config.Inputs[1].Alias);

        var output = Assert.Single(config.Outputs);
        Assert.Equal("39", output.Name);
        Assert.Equal("score", output.Alias);
        Assert.Null(output.DataType);
        Assert.Null(output.Dims);
    }

    [Fact]
    public void Parse_FullConfig_ReadsOnnxRuntimeSettings()
    {
        var settings = ConfigYaml.Valid(Full).OnnxRuntime;

        Assert.Equal(3, settings.IntraOpThreads);
        Assert.Equal(2, settings.InterOpThreads);
        Assert.Equal(GraphOptimization.Extended, settings.GraphOptimizationLevel);
        Assert.Equal(ExecutionProvider.Cuda, settings.ExecutionProvider);
        Assert.Equal(1, settings.DeviceId);
        Assert.True(settings.AllowSpinning);
    }

    [Fact]
    public void Parse_FullConfig_ReadsWarmupSamples()
    {
        var warmup = ConfigYaml.Valid(Full).Warmup;

        Assert.Equal(2, warmup.Count);
        Assert.Equal("zeros", warmup[0].Name);
        Assert.Equal(8, warmup[0].BatchSize);
        Assert.Equal(2, warmup[0].Count);
        Assert.Equal(WarmupData.Zeros, warmup[0].Inputs["features"].Kind);
        Assert.Null(warmup[0].Inputs["features"].Dims);
        Assert.Equal(WarmupData.Random, warmup[0].Inputs["tokens"].Kind);
        Assert.Equal([4L, 128L], warmup[0].Inputs["tokens"].Dims!);

        Assert.Equal("literal", warmup[1].Name);
        Assert.Equal(1, warmup[1].BatchSize);
        Assert.Equal(1, warmup[1].Count);
        var literal = warmup[1].Inputs["features"];
        Assert.Equal(WarmupData.Values, literal.Kind);
        Assert.Equal([1.0, -2.5, 300.0], literal.Values);
    }

    [Fact]
    public void Parse_FullConfig_ReadsDynamicBatching()
    {
        var batching = ConfigYaml.Valid(Full).DynamicBatching;

        Assert.NotNull(batching);
        Assert.Equal(32, batching.MaxBatchSize);
        Assert.Equal(100, batching.MaxQueueDelayMicroseconds);
        Assert.Equal([4, 8], batching.PreferredBatchSize);
        Assert.Equal(2, batching.PriorityLevels);
        Assert.Equal(1, batching.DefaultPriorityLevel);
        Assert.Equal(20.5, batching.LatencyTargetMs);
        Assert.Equal(
            new QueuePolicy { MaxQueueSize = 100, DefaultTimeoutMicroseconds = 5000, AllowTimeoutOverride = true, TimeoutAction = TimeoutAction.Delay },
            batching.DefaultQueuePolicy);
        Assert.Equal([1, 2], batching.PriorityQueuePolicy.Keys.Order());
        Assert.Equal(new QueuePolicy { MaxQueueSize = 10 }, batching.PriorityQueuePolicy[1]);
        Assert.Equal(new QueuePolicy { DefaultTimeoutMicroseconds = 7, TimeoutAction = TimeoutAction.Reject }, batching.PriorityQueuePolicy[2]);
    }

    [Fact]
    public void Parse_FullConfig_ReadsCache()
    {
        var cache = ConfigYaml.Valid(Full).Cache;

        Assert.NotNull(cache);
        Assert.True(cache.Enabled);
        Assert.Equal(1048576, cache.MaxBytes);
        Assert.Equal(60.0, cache.TtlSeconds);
        Assert.Equal(["features"], cache.KeyInputs);
        Assert.Equal(3, cache.RoundDecimals);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    [InlineData("~")]
    public void Parse_EmptyDocument_IsDefault(string yaml)
    {
        Assert.Same(ModelConfig.Default, ConfigYaml.Valid(yaml));
    }

    [Fact]
    public void Parse_EmptyMapping_HasTheDocumentedDefaults()
    {
        var config = ConfigYaml.Valid("{}");

        Assert.Null(config.MaxBatchSize);
        Assert.Empty(config.Inputs);
        Assert.Empty(config.Outputs);
        Assert.Equal(new VersionPolicy.Latest(1), config.VersionPolicy);
        Assert.Equal(1, config.Instances.Count);
        Assert.Empty(config.Warmup);
        Assert.Null(config.OnnxRuntime.IntraOpThreads);
        Assert.Null(config.OnnxRuntime.InterOpThreads);
        Assert.Equal(GraphOptimization.All, config.OnnxRuntime.GraphOptimizationLevel);
        Assert.Equal(ExecutionProvider.Cpu, config.OnnxRuntime.ExecutionProvider);
        Assert.Equal(0, config.OnnxRuntime.DeviceId);
        Assert.False(config.OnnxRuntime.AllowSpinning);
        Assert.Null(config.DynamicBatching);
        Assert.Null(config.Cache);
    }

    [Fact]
    public void Parse_EmptyDynamicBatching_TurnsBatchingOnWithDefaults()
    {
        var batching = ConfigYaml.Valid("max_batch_size: 16\ndynamic_batching: {}").DynamicBatching;

        Assert.NotNull(batching);
        Assert.Null(batching.MaxBatchSize);
        Assert.Null(batching.MaxQueueDelayMicroseconds);
        Assert.Empty(batching.PreferredBatchSize);
        Assert.Equal(0, batching.PriorityLevels);
        Assert.Equal(0, batching.DefaultPriorityLevel);
        Assert.Empty(batching.PriorityQueuePolicy);
        Assert.Null(batching.LatencyTargetMs);
        Assert.Equal(0, batching.DefaultQueuePolicy.MaxQueueSize);
        Assert.Equal(0, batching.DefaultQueuePolicy.DefaultTimeoutMicroseconds);
        Assert.False(batching.DefaultQueuePolicy.AllowTimeoutOverride);
        Assert.Equal(TimeoutAction.Reject, batching.DefaultQueuePolicy.TimeoutAction);
    }

    [Fact]
    public void Parse_DynamicBatchingWithoutModelMax_IsAccepted()
    {
        // Without max_batch_size the model's own metadata decides; the loader checks the sizes then.
        Assert.Equal([4, 8], ConfigYaml.Valid("dynamic_batching: { preferred_batch_size: [4, 8] }").DynamicBatching!.PreferredBatchSize);
    }

    [Fact]
    public void Parse_CacheEnabledOnly_HasDefaults()
    {
        var cache = ConfigYaml.Valid("cache: { enabled: true }").Cache;

        Assert.NotNull(cache);
        Assert.True(cache.Enabled);
        Assert.Equal(64L * 1024 * 1024, cache.MaxBytes);
        Assert.Null(cache.TtlSeconds);
        Assert.Empty(cache.KeyInputs);
        Assert.Null(cache.RoundDecimals);
    }

    [Fact]
    public void Parse_InstancesAuto_IsAuto()
    {
        Assert.True(ConfigYaml.Valid("instances: auto").Instances.IsAuto);
    }

    [Fact]
    public void Parse_MaxBatchSizeZero_IsUnbatched()
    {
        Assert.Equal(0, ConfigYaml.Valid("max_batch_size: 0").MaxBatchSize);
    }

    [Theory]
    [InlineData("BOOL", DataType.Bool)]
    [InlineData("UINT8", DataType.UInt8)]
    [InlineData("UINT16", DataType.UInt16)]
    [InlineData("UINT32", DataType.UInt32)]
    [InlineData("UINT64", DataType.UInt64)]
    [InlineData("INT8", DataType.Int8)]
    [InlineData("INT16", DataType.Int16)]
    [InlineData("INT32", DataType.Int32)]
    [InlineData("INT64", DataType.Int64)]
    [InlineData("FP16", DataType.Fp16)]
    [InlineData("BF16", DataType.Bf16)]
    [InlineData("FP32", DataType.Fp32)]
    [InlineData("FP64", DataType.Fp64)]
    [InlineData("BYTES", DataType.Bytes)]
    public void Parse_Datatype_ReadsEveryProtocolName(string name, object expected)
    {
        // object: a public test method cannot take Core's internal enums.
        Assert.Equal((DataType)expected, ConfigYaml.Valid($"inputs: [ {{ name: x, datatype: {name} }} ]").Inputs[0].DataType);
    }

    [Theory]
    [InlineData("disable", GraphOptimization.Disable)]
    [InlineData("basic", GraphOptimization.Basic)]
    [InlineData("extended", GraphOptimization.Extended)]
    [InlineData("all", GraphOptimization.All)]
    public void Parse_GraphOptimizationLevel_ReadsEveryLevel(string name, object expected)
    {
        Assert.Equal((GraphOptimization)expected, ConfigYaml.Valid($"onnxruntime: {{ graph_optimization_level: {name} }}").OnnxRuntime.GraphOptimizationLevel);
    }

    [Fact]
    public void Parse_ScalarDims_IsAnEmptyShape()
    {
        var dims = ConfigYaml.Valid("outputs: [ { name: y, dims: [] } ]").Outputs[0].Dims;

        Assert.NotNull(dims);
        Assert.Empty(dims);
    }

    [Fact]
    public void Parse_LatencyTargetWithPriorityLevels_IsAllowed()
    {
        var batching = ConfigYaml.Valid("""
            dynamic_batching: { latency_target_ms: 5, priority_levels: 3, default_priority_level: 3 }
            """).DynamicBatching!;

        Assert.Equal(5.0, batching.LatencyTargetMs);
        Assert.Equal(3, batching.PriorityLevels);
        Assert.Equal(3, batching.DefaultPriorityLevel);
    }

    [Fact]
    public void GetConfigOrThrow_OnSuccess_ReturnsTheConfig()
    {
        var result = ModelConfigParser.Parse("max_batch_size: 4", "config.yaml");

        Assert.Empty(result.Errors);
        Assert.Equal(4, result.GetConfigOrThrow().MaxBatchSize);
    }

    [Fact]
    public void GetConfigOrThrow_OnFailure_ThrowsWithTheErrors()
    {
        var result = ModelConfigParser.Parse("inputs: [ { nmae: x } ]", "m/config.yaml");

        var e = Assert.Throws<ModelConfigException>(result.GetConfigOrThrow);

        Assert.Equal(result.Errors, e.Errors);
        Assert.Equal(
            "m/config.yaml: inputs[0].nmae: unknown key (did you mean 'name'?)\nm/config.yaml: inputs[0].name: missing: the tensor's name in the model",
            e.Message);
    }

    [Fact]
    public void LoadFile_EmptyFile_IsDefault()
    {
        var path = Path.GetTempFileName();
        try
        {
            Assert.Same(ModelConfig.Default, ModelConfigParser.LoadFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_InvalidFile_ThrowsWithEveryErrorUnderThePath()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "max_batch_size: -1\ninstances: 0\n");

            var e = Assert.Throws<ModelConfigException>(() => ModelConfigParser.LoadFile(path));

            Assert.Equal(2, e.Errors.Count);
            Assert.Equal(
                $"{path}: max_batch_size: expected an integer >= 0, got '-1'\n{path}: instances: expected a positive integer, got '0'",
                e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
