namespace Usher.Core.Models;

/// <summary>The file format of a model's request log (<c>logging.format</c> in <c>config.yaml</c>).</summary>
internal enum RequestLogFormat
{
    /// <summary>One JSON object per line, inputs and outputs as Open Inference Protocol tensors.</summary>
    Jsonl,

    /// <summary>Parquet, one row per request; tensors as little-endian bytes with their shapes.</summary>
    Parquet,
}
