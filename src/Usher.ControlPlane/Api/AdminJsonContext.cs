using System.Text.Json.Serialization;

namespace Usher.ControlPlane.Api;

/// <summary>
/// Source-generated (de)serialization of every admin API payload (docs/admin-api.md), snake_case.
/// The server writes these DTOs and the CLI reads them with the same context, so the two cannot
/// drift; the state store and the audit trail keep analyses and reports in the same shapes.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnalysisDto))]
[JsonSerializable(typeof(RolloutDto))]
[JsonSerializable(typeof(EndpointListDto))]
[JsonSerializable(typeof(HistoryDto))]
[JsonSerializable(typeof(ErrorDto))]
[JsonSerializable(typeof(DryRunDto))]
[JsonSerializable(typeof(FaultDto))]
[JsonSerializable(typeof(FaultAnswerDto))]
[JsonSerializable(typeof(FaultClearedDto))]
[JsonSerializable(typeof(ReplicaListDto))]
[JsonSerializable(typeof(RolloutActionDto))]
[JsonSerializable(typeof(ExperimentReportDto))]
[JsonSerializable(typeof(ShadowReportDto))]
[JsonSerializable(typeof(FeedbackAnswerDto))]
[JsonSerializable(typeof(FeedbackBatchDto))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
