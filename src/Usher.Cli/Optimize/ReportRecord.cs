using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>The accuracy-and-speed report of one run.</summary>
internal sealed record ReportRecord(
    [property: JsonPropertyName("inputs")] string Inputs,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("intra_op_threads")] int IntraOpThreads,
    [property: JsonPropertyName("top1_agreement")] double? Top1Agreement,
    [property: JsonPropertyName("outputs")] IReadOnlyList<OutputRecord> Outputs,
    [property: JsonPropertyName("speed")] SpeedRecord Speed);
