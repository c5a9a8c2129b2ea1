using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>Teacher and student run side by side in ONNX Runtime on the held-out rows, then timed.</summary>
internal sealed record DistillationReportRecord(
    [property: JsonPropertyName("inputs")] string Inputs,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("intra_op_threads")] int IntraOpThreads,
    [property: JsonPropertyName("top1_agreement")] double? Top1Agreement,
    [property: JsonPropertyName("outputs")] IReadOnlyList<OutputRecord> Outputs,
    [property: JsonPropertyName("speed")] DistillationSpeedRecord Speed);
