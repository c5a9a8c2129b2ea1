using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>The model files of teacher and student.</summary>
internal sealed record DistillationSizeRecord(
    [property: JsonPropertyName("teacher")] long Teacher,
    [property: JsonPropertyName("student")] long Student,
    [property: JsonPropertyName("ratio")] double Ratio);
