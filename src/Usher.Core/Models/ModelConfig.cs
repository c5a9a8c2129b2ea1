namespace Usher.Core.Models;

/// <summary>
/// A model's <c>config.yaml</c>, parsed and validated. Every property is optional in the file; a
/// model without a config gets <see cref="Default"/> and everything else from its own metadata.
/// </summary>
internal sealed record ModelConfig
{
    /// <summary>The configuration of a model that has no <c>config.yaml</c>.</summary>
    public static ModelConfig Default { get; } = new();

    /// <summary>
    /// The largest batch a request (or a formed batch) may carry; 0 = the model is not batched;
    /// null = derived from the model (batched, 64, when every input and output has a dynamic first dimension).
    /// </summary>
    public int? MaxBatchSize { get; init; }

    /// <summary>Input declarations and renames; empty = the model's own inputs.</summary>
    public IReadOnlyList<TensorOverride> Inputs { get; init; } = [];

    /// <summary>Output declarations and renames; empty = the model's own outputs.</summary>
    public IReadOnlyList<TensorOverride> Outputs { get; init; } = [];

    /// <summary>Which versions to load; default the newest one.</summary>
    public VersionPolicy VersionPolicy { get; init; } = VersionPolicy.Default;

    /// <summary>Concurrent executors per version; default 1.</summary>
    public InstanceCount Instances { get; init; } = InstanceCount.One;

    /// <summary>Requests run before a version reports ready.</summary>
    public IReadOnlyList<WarmupSample> Warmup { get; init; } = [];

    /// <summary>Backend session settings.</summary>
    public OnnxRuntimeSettings OnnxRuntime { get; init; } = new();

    /// <summary>
    /// The <c>rollout</c> section as JSON: a deployment spec (strategy and settings, without endpoint
    /// and version) that a newly appearing version starts by itself. Null = a new version takes no
    /// traffic until it is deployed. The control plane validates it.
    /// </summary>
    public string? RolloutJson { get; init; }

    /// <summary>Dynamic batching; null = off.</summary>
    public DynamicBatchingConfig? DynamicBatching { get; init; }

    /// <summary>The prediction cache; null = off.</summary>
    public CacheConfig? Cache { get; init; }

    /// <summary>Request logging (a sampled share of requests written with inputs and outputs); null = off.</summary>
    public RequestLoggingConfig? Logging { get; init; }

    /// <summary>
    /// The hardware the model needs (<c>hardware: gpu</c>): a <see cref="LabelValue"/> that the gateway
    /// matches, without case, against a replica's <c>hw</c> label. Null = any hardware. It steers
    /// routing only: a replica loads the model whatever its label.
    /// </summary>
    public string? Hardware { get; init; }
}
