using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>A point's configuration: the <c>config.yaml</c> keys it sets.</summary>
/// <param name="BatchSize"><c>dynamic_batching.max_batch_size</c>; 1 when dynamic batching is off.</param>
/// <param name="DynamicBatching">Whether the dynamic batcher forms batches (adaptive mode).</param>
/// <param name="Instances"><c>instances</c>.</param>
/// <param name="IntraOpThreads"><c>onnxruntime.intra_op_threads</c>.</param>
internal sealed record PointConfigRecord(
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("dynamic_batching")] bool DynamicBatching,
    [property: JsonPropertyName("instances")] int Instances,
    [property: JsonPropertyName("intra_op_threads")] int IntraOpThreads);
