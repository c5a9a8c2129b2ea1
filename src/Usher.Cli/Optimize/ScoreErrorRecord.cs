using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>How far the student's probabilities are from the teacher's on the held-out rows.</summary>
internal sealed record ScoreErrorRecord(
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("mean_abs")] double MeanAbs,
    [property: JsonPropertyName("max_abs")] double MaxAbs);
