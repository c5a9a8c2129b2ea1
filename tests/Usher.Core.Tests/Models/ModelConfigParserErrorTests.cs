namespace Usher.Core.Tests.Models;

public sealed class ModelConfigParserErrorTests
{
    [Fact]
    public void Parse_InvalidYaml_ReportsTheLine()
    {
        var error = ConfigYaml.SingleError("max_batch_size: 8\ninputs:\n  - name: x\n   bad: [\n");

        Assert.StartsWith("config.yaml line 4: invalid YAML: ", error, StringComparison.Ordinal);
    }

    /// <summary>YamlDotNet builds its tree by recursion: 200,000 '[' used to end the process with a stack overflow.</summary>
    [Fact]
    public void Parse_NestingDeeperThan64_IsInvalidYaml_NotAStackOverflow()
    {
        var error = ConfigYaml.SingleError("max_batch_size: " + new string('[', 200_000) + new string(']', 200_000) + "\n");

        Assert.Equal("config.yaml line 1: invalid YAML: nested more than 64 levels deep", error);
    }

    /// <summary>
    /// Found by <c>ModelConfigProperties</c>: on this text YamlDotNet's scanner throws an InvalidOperationException
    /// (not a YamlException), which used to escape the parser.
    /// </summary>
    [Fact]
    public void Parse_ABracketInAFlowMappingKey_IsInvalidYamlWithTheLine_NotAnException()
    {
        const string yaml = "max_batch_size: 203\ninstances: 13\nonnxruntime: { intra_op_threads: 2, graph_optimi[ation_level: disable }\n"
            + "inputs:\n  - { name: \"in-0\", datatype: BOOL, dims: [3195, -1, 79] }\n  - { name: \"in-1\", datatype: FP16, dims: [] }\n"
            + "dynamic_batching:\n  max_batch_size: 68\n  max_queue_delay_microseconds: 4189563\n  preferred_batch_size: []\n  priority_levels: 1\n"
            + "  de}ault_priority_level: 1\n  default_queue_policy: { max_queue_size: 79022, allow_timeout_override: false }\n"
            + "  latency_target_ms: 665.676\ncache:\n  e\tabled: true\n  max_bytes: 2106664496128\n  round_decimals: 3\n";

        var error = ConfigYaml.SingleError(yaml);

        Assert.Matches(@"^config\.yaml line [1-3]: invalid YAML: the text after this point cannot be read; check the brackets and braces", error);
    }

    /// <summary>Found by the coverage-guided fuzzer (benchmarks/fuzz): YamlDotNet threw an ArgumentException that escaped the parser.</summary>
    [Fact]
    public void Parse_ANulBeforeAKey_IsInvalidYaml_NotAnException()
        => Assert.Equal(
            "config.yaml: invalid YAML: a node of an unexpected kind; check for control characters and stray '-', ':' or tabs",
            ConfigYaml.SingleError("\0 :\t-m\n"));

    /// <summary>Found by the coverage-guided fuzzer: YamlDotNet's parser threw an ArgumentException on this tag.</summary>
    [Fact]
    public void Parse_AnInvalidGlobalTag_IsInvalidYaml_NotAnException()
        => Assert.Equal("config.yaml: invalid YAML: Global tags must be valid URIs.", ConfigYaml.SingleError("\0!!!!!!!!+$!!"));

    [Fact]
    public void Parse_Nesting64Deep_IsReadAsUsual()
    {
        var error = ConfigYaml.SingleError("max_batch_size: " + new string('[', 63) + new string(']', 63) + "\n");

        Assert.DoesNotContain("nested", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateKey_IsInvalidYamlWithTheLine()
    {
        var error = ConfigYaml.SingleError("max_batch_size: 8\ninstances: 1\nmax_batch_size: 4\n");

        Assert.Equal("config.yaml line 3: invalid YAML: a key appears twice in one mapping; keep one", error);
    }

    [Fact]
    public void Parse_TwoDocuments_IsAnError()
    {
        Assert.Contains("expected one YAML document, got 2", ConfigYaml.SingleError("max_batch_size: 1\n---\nmax_batch_size: 2\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]", "a list")]
    [InlineData("hello", "'hello'")]
    public void Parse_RootNotAMapping_IsAnError(string yaml, string got)
    {
        Assert.Equal(
            $"config.yaml line 1: expected a mapping of settings (e.g. 'max_batch_size: 8') at the top level, got {got}",
            ConfigYaml.SingleError(yaml));
    }

    [Fact]
    public void Parse_MisspelledKey_SuggestsTheKnownKey()
    {
        Assert.Equal(
            "config.yaml: max_batch_sise: unknown key (did you mean 'max_batch_size'?)",
            ConfigYaml.SingleError("max_batch_sise: 8"));
    }

    [Theory]
    [InlineData("maxBatchSize: 8", "maxBatchSize", "max_batch_size")]
    [InlineData("instance_group: 2", "instance_group", "instances")]
    [InlineData("response_cache: { enabled: true }", "response_cache", "cache")]
    [InlineData("dynamic_batching: { max_queue_delay_microsecond: 5 }", "dynamic_batching.max_queue_delay_microsecond", "max_queue_delay_microseconds")]
    [InlineData("cache: { enable: true }", "cache.enable", "enabled")]
    public void Parse_NearMissKey_SuggestsTheKnownKey(string yaml, string path, string suggestion)
    {
        Assert.Equal($"config.yaml: {path}: unknown key (did you mean '{suggestion}'?)", ConfigYaml.SingleError(yaml));
    }

    [Fact]
    public void Parse_UnrelatedUnknownKey_ListsTheKnownKeys()
    {
        Assert.Equal(
            "config.yaml: cache.zzzzzz: unknown key (expected one of: enabled, max_bytes, ttl_seconds, key_inputs, round_decimals)",
            ConfigYaml.SingleError("cache: { zzzzzz: 1 }"));
    }

    [Fact]
    public void Parse_ManyErrors_ReportsThemAllTogether()
    {
        var errors = ConfigYaml.Errors("""
            max_batch_sise: 8
            max_batch_size: 4
            instances: many
            inputs:
              - { name: x, datatype: FLOAT, dims: [0] }
            dynamic_batching:
              preferred_batch_size: [2, -3, 8]
            cache: { ttl_seconds: 0 }
            """);

        Assert.Equal(
            [
                "config.yaml: max_batch_sise: unknown key (did you mean 'max_batch_size'?)",
                "config.yaml: instances: expected a positive integer, auto, or a range such as {min: 1, max: 4}, got 'many'",
                "config.yaml: inputs[0].datatype: expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64, BYTES, got 'FLOAT'",
                "config.yaml: inputs[0].dims[0]: expected a dimension >= 1 or -1 for a variable one, got '0'",
                "config.yaml: dynamic_batching.preferred_batch_size[1]: expected a positive integer, got '-3'",
                "config.yaml: cache.ttl_seconds: expected a number > 0, got '0'",
                "config.yaml: dynamic_batching.preferred_batch_size[2]: 8 is larger than max_batch_size 4",
            ],
            errors);
    }

    [Fact]
    public void Parse_RefusedListItem_KeepsLaterItemsAtTheirIndex()
    {
        var errors = ConfigYaml.Errors("""
            max_batch_size: 4
            inputs: [ oops, { name: x }, { name: x } ]
            warmup: [ 7, { name: big, batch_size: 8 } ]
            """);

        Assert.Equal(
            [
                "config.yaml: inputs[0]: expected a mapping, got 'oops'",
                "config.yaml: warmup[0]: expected a mapping, got '7'",
                "config.yaml: inputs[2].name: 'x' is listed twice; list each tensor once",
                "config.yaml: warmup[1].batch_size: 8 is larger than max_batch_size 4",
            ],
            errors);
    }

    [Fact]
    public void Parse_FieldErrorAndRuleOnTheCanBatchTogether_ReportsOnlyTheFieldError()
    {
        Assert.Equal(
            "config.yaml: dynamic_batching.default_priority_level: expected a positive integer, got '0'",
            ConfigYaml.SingleError("dynamic_batching: { priority_levels: 2, default_priority_level: 0 }"));
    }

    [Fact]
    public void Parse_Error_CarriesTheLineOfTheNode()
    {
        var result = Usher.Core.Models.ModelConfigParser.Parse("instances: 1\n\nmax_batch_size: x\n", "config.yaml");

        Assert.Equal(3, Assert.Single(result.Errors).Line);
    }

    [Theory]
    [InlineData("max_batch_size: -1", "max_batch_size: expected an integer >= 0, got '-1'")]
    [InlineData("max_batch_size: 1.5", "max_batch_size: expected an integer >= 0, got '1.5'")]
    [InlineData("max_batch_size: abc", "max_batch_size: expected an integer >= 0, got 'abc'")]
    [InlineData("max_batch_size: true", "max_batch_size: expected an integer >= 0, got 'true'")]
    [InlineData("max_batch_size: \"8\"", "max_batch_size: expected an integer >= 0, got the quoted text '8'")]
    [InlineData("max_batch_size:", "max_batch_size: expected an integer >= 0, got nothing")]
    [InlineData("max_batch_size: [8]", "max_batch_size: expected an integer >= 0, got a list")]
    [InlineData("max_batch_size: 99999999999", "max_batch_size: expected an integer >= 0, got '99999999999'")]
    [InlineData("instances: 0", "instances: expected a positive integer, got '0'")]
    [InlineData("instances: 1.5", "instances: expected a positive integer, auto, or a range such as {min: 1, max: 4}, got '1.5'")]
    [InlineData("inputs: { name: x }", "inputs: expected a list, got a mapping")]
    [InlineData("inputs: [ { datatype: FP32 } ]", "inputs[0].name: missing: the tensor's name in the model")]
    [InlineData("inputs: [ { name: \"\" } ]", "inputs[0].name: expected a non-empty text, got the quoted text ''")]
    [InlineData("inputs: [ { name: x, datatype: fp32 } ]", "inputs[0].datatype: unknown datatype 'fp32' (did you mean 'FP32'?)")]
    [InlineData("inputs: [ { name: x, datatype: TYPE_FP32 } ]", "inputs[0].datatype: unknown datatype 'TYPE_FP32' (did you mean 'FP32'?)")]
    [InlineData("outputs: [ { name: x, datatype: STRING } ]", "outputs[0].datatype: unknown datatype 'STRING' (did you mean 'BYTES'?)")]
    [InlineData("inputs: [ { name: x, dims: [-2] } ]", "inputs[0].dims[0]: expected an integer >= -1, got '-2'")]
    [InlineData("inputs: [ { name: x, dims: 3 } ]", "inputs[0].dims: expected a list, got '3'")]
    [InlineData("outputs: [ { name: x, alias: [a] } ]", "outputs[0].alias: expected a non-empty text, got a list")]
    [InlineData("onnxruntime: { intra_op_threads: 0 }", "onnxruntime.intra_op_threads: expected a positive integer, got '0'")]
    [InlineData("onnxruntime: { inter_op_threads: -1 }", "onnxruntime.inter_op_threads: expected a positive integer, got '-1'")]
    [InlineData("onnxruntime: { graph_optimization_level: max }", "onnxruntime.graph_optimization_level: expected one of disable, basic, extended, all, got 'max'")]
    [InlineData("onnxruntime: { execution_provider: rocm }", "onnxruntime.execution_provider: expected one of cpu, cuda, got 'rocm'")]
    [InlineData("onnxruntime: { device_id: -1 }", "onnxruntime.device_id: expected an integer >= 0, got '-1'")]
    [InlineData("onnxruntime: { allow_spinning: 1 }", "onnxruntime.allow_spinning: expected true or false, got '1'")]
    [InlineData("onnxruntime: 4", "onnxruntime: expected a mapping, got '4'")]
    public void Parse_InvalidTopLevelValue_NamesTheKey(string yaml, string expected)
    {
        Assert.Equal("config.yaml: " + expected, ConfigYaml.SingleError(yaml));
    }

    [Theory]
    [InlineData("warmup: [ { batch_size: 2 } ]", "warmup[0].name: missing: a label for the sample, unique in warmup")]
    [InlineData("warmup: [ { name: a, batch_size: 0 } ]", "warmup[0].batch_size: expected a positive integer, got '0'")]
    [InlineData("warmup: [ { name: a, count: -1 } ]", "warmup[0].count: expected a positive integer, got '-1'")]
    [InlineData("warmup: [ { name: a }, { name: a } ]", "warmup[1].name: the name 'a' is used by an earlier sample; give each sample its own name")]
    [InlineData("warmup: [ { name: a, inputs: [x] } ]", "warmup[0].inputs: expected a mapping, got a list")]
    [InlineData("warmup: [ { name: a, inputs: { x: {} } } ]", "warmup[0].inputs.x: expected exactly one of 'zeros: true', 'random: true' or 'values: [...]', got none")]
    [InlineData("warmup: [ { name: a, inputs: { x: { zeros: false } } } ]", "warmup[0].inputs.x: expected exactly one of 'zeros: true', 'random: true' or 'values: [...]', got none")]
    [InlineData("warmup: [ { name: a, inputs: { x: { zeros: true, random: true } } } ]", "warmup[0].inputs.x: expected exactly one of 'zeros: true', 'random: true' or 'values: [...]', got zeros and random")]
    [InlineData("warmup: [ { name: a, inputs: { x: { zeros: yes } } } ]", "warmup[0].inputs.x.zeros: expected true or false, got 'yes'")]
    [InlineData("warmup: [ { name: a, inputs: { x: { zeros: 1 } } } ]", "warmup[0].inputs.x.zeros: expected true or false, got '1'")]
    [InlineData("warmup: [ { name: a, inputs: { x: { values: [1, abc] } } } ]", "warmup[0].inputs.x.values[1]: expected a number, got 'abc'")]
    [InlineData("warmup: [ { name: a, inputs: { x: { values: [] } } } ]", "warmup[0].inputs.x.values: expected at least one value, got an empty list")]
    [InlineData("warmup: [ { name: a, inputs: { x: { random: true, dims: [-1] } } } ]", "warmup[0].inputs.x.dims[0]: expected a positive integer, got '-1'")]
    [InlineData("warmup: [ { name: a, inputs: { x: { zeros: true, shape: [2] } } } ]", "warmup[0].inputs.x.shape: unknown key (expected one of: zeros, random, values, dims)")]
    public void Parse_InvalidWarmup_NamesTheKey(string yaml, string expected)
    {
        Assert.Equal("config.yaml: " + expected, ConfigYaml.SingleError(yaml));
    }

    [Theory]
    [InlineData("dynamic_batching: { max_batch_size: 0 }", "dynamic_batching.max_batch_size: expected a positive integer, got '0'")]
    [InlineData("dynamic_batching: { max_queue_delay_microseconds: -5 }", "dynamic_batching.max_queue_delay_microseconds: expected an integer >= 0, got '-5'")]
    [InlineData("dynamic_batching: { preferred_batch_size: [0] }", "dynamic_batching.preferred_batch_size[0]: expected a positive integer, got '0'")]
    [InlineData("dynamic_batching: { preferred_batch_size: 4 }", "dynamic_batching.preferred_batch_size: expected a list, got '4'")]
    [InlineData("dynamic_batching: { priority_levels: -1 }", "dynamic_batching.priority_levels: expected an integer >= 0, got '-1'")]
    [InlineData("dynamic_batching: { priority_levels: 2, default_priority_level: 0 }", "dynamic_batching.default_priority_level: expected a positive integer, got '0'")]
    [InlineData("dynamic_batching: { latency_target_ms: 0 }", "dynamic_batching.latency_target_ms: expected a number > 0, got '0'")]
    [InlineData("dynamic_batching: { latency_target_ms: .nan }", "dynamic_batching.latency_target_ms: expected a number > 0, got '.nan'")]
    [InlineData("dynamic_batching: { default_queue_policy: { max_queue_size: -1 } }", "dynamic_batching.default_queue_policy.max_queue_size: expected an integer >= 0, got '-1'")]
    [InlineData("dynamic_batching: { default_queue_policy: { default_timeout_microseconds: 1.5 } }", "dynamic_batching.default_queue_policy.default_timeout_microseconds: expected an integer >= 0, got '1.5'")]
    [InlineData("dynamic_batching: { default_queue_policy: { allow_timeout_override: 1 } }", "dynamic_batching.default_queue_policy.allow_timeout_override: expected true or false, got '1'")]
    [InlineData("dynamic_batching: { default_queue_policy: { timeout_action: DROP } }", "dynamic_batching.default_queue_policy.timeout_action: expected one of REJECT, DELAY, got 'DROP'")]
    [InlineData("dynamic_batching: { priority_levels: 2, default_priority_level: 1, priority_queue_policy: { high: {} } }", "dynamic_batching.priority_queue_policy.high: expected a priority level (an integer >= 1) as the key, got 'high'")]
    [InlineData("dynamic_batching: { priority_levels: 2, default_priority_level: 1, priority_queue_policy: { 1: { max_queue_size: x } } }", "dynamic_batching.priority_queue_policy.1.max_queue_size: expected an integer >= 0, got 'x'")]
    [InlineData("dynamic_batching:", "dynamic_batching: expected a mapping, got nothing")]
    public void Parse_InvalidDynamicBatchingValue_NamesTheKey(string yaml, string expected)
    {
        Assert.Equal("config.yaml: " + expected, ConfigYaml.SingleError(yaml));
    }

    [Theory]
    [InlineData("cache: { enabled: yes }", "cache.enabled: expected true or false, got 'yes'")]
    [InlineData("cache: { max_bytes: 0 }", "cache.max_bytes: expected a positive integer, got '0'")]
    [InlineData("cache: { ttl_seconds: -1 }", "cache.ttl_seconds: expected a number > 0, got '-1'")]
    [InlineData("cache: { round_decimals: 16 }", "cache.round_decimals: expected an integer from 0 to 15, got '16'")]
    [InlineData("cache: { round_decimals: -1 }", "cache.round_decimals: expected an integer from 0 to 15, got '-1'")]
    [InlineData("cache: { key_inputs: features }", "cache.key_inputs: expected a list, got 'features'")]
    [InlineData("cache: { key_inputs: [a, a] }", "cache.key_inputs[1]: the input 'a' is listed twice")]
    public void Parse_InvalidCacheValue_NamesTheKey(string yaml, string expected)
    {
        Assert.Equal("config.yaml: " + expected, ConfigYaml.SingleError(yaml));
    }

    [Theory]
    [InlineData("max_batch_size: 0\ndynamic_batching: {}", "dynamic_batching: needs a batched model, but max_batch_size is 0; remove dynamic_batching or set max_batch_size >= 1")]
    [InlineData("max_batch_size: 0\nwarmup: [ { name: a, batch_size: 2 } ]", "warmup[0].batch_size: 2 needs a batched model, but max_batch_size is 0; remove batch_size or raise max_batch_size")]
    [InlineData("max_batch_size: 4\nwarmup: [ { name: a, batch_size: 8 } ]", "warmup[0].batch_size: 8 is larger than max_batch_size 4")]
    [InlineData("max_batch_size: 8\ndynamic_batching: { max_batch_size: 16 }", "dynamic_batching.max_batch_size: 16 is larger than the model's max_batch_size 8")]
    [InlineData("max_batch_size: 8\ndynamic_batching: { preferred_batch_size: [4, 16] }", "dynamic_batching.preferred_batch_size[1]: 16 is larger than max_batch_size 8")]
    [InlineData("dynamic_batching: { max_batch_size: 4, preferred_batch_size: [2, 8] }", "dynamic_batching.preferred_batch_size[1]: 8 is larger than dynamic_batching.max_batch_size 4")]
    [InlineData("dynamic_batching: { priority_levels: 2 }", "dynamic_batching.default_priority_level: missing: required with priority_levels 2; set the level of requests without a priority (1 to 2)")]
    [InlineData("dynamic_batching: { priority_levels: 2, default_priority_level: 3 }", "dynamic_batching.default_priority_level: 3 is not a level; expected 1 to priority_levels 2")]
    [InlineData("dynamic_batching: { default_priority_level: 1 }", "dynamic_batching.default_priority_level: needs priority_levels >= 1; set priority_levels or remove this key")]
    [InlineData("dynamic_batching: { priority_levels: 2, default_priority_level: 1, priority_queue_policy: { 3: {} } }", "dynamic_batching.priority_queue_policy.3: 3 is not a level; expected levels 1 to priority_levels 2")]
    [InlineData("dynamic_batching: { priority_queue_policy: { 1: {} } }", "dynamic_batching.priority_queue_policy.1: 1 is not a level; expected no levels, as priority_levels is 0")]
    [InlineData("inputs: [ { name: x }, { name: x } ]", "inputs[1].name: 'x' is listed twice; list each tensor once")]
    [InlineData("outputs: [ { name: x, alias: y }, { name: z, alias: y } ]", "outputs[1].alias: clients would see two tensors named 'y'; choose another alias")]
    [InlineData("inputs: [ { name: x, alias: y }, { name: y } ]", "inputs[1].name: clients would see two tensors named 'y'; choose another alias")]
    public void Parse_BrokenCrossFieldRule_NamesTheKey(string yaml, string expected)
    {
        Assert.Equal("config.yaml: " + expected, ConfigYaml.SingleError(yaml));
    }

    [Fact]
    public void Parse_SameNameForAnInputAndAnOutput_IsAllowed()
    {
        Assert.Equal("x", ConfigYaml.Valid("inputs: [ { name: x } ]\noutputs: [ { name: x } ]").Outputs[0].Name);
    }

    [Fact]
    public void Parse_BatchSizesAtTheLimit_AreAllowed()
    {
        var config = ConfigYaml.Valid("""
            max_batch_size: 8
            dynamic_batching: { max_batch_size: 8, preferred_batch_size: [8] }
            warmup: [ { name: full, batch_size: 8 } ]
            """);

        Assert.Equal(8, config.Warmup[0].BatchSize);
    }
}
