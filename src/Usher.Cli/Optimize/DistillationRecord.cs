using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>The <c>distillation.json</c> written beside a distilled version's <c>model.onnx</c>.</summary>
internal sealed record DistillationRecord(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("teacher_version")] long TeacherVersion,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("student")] string Student,
    [property: JsonPropertyName("student_parameters")] int StudentParameters,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("epochs_requested")] int EpochsRequested,
    [property: JsonPropertyName("epochs_run")] int EpochsRun,
    [property: JsonPropertyName("best_epoch")] int BestEpoch,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("train_rows")] int TrainRows,
    [property: JsonPropertyName("held_out_rows")] int HeldOutRows,
    [property: JsonPropertyName("held_out_agreement")] double? HeldOutAgreement,
    [property: JsonPropertyName("score_error")] ScoreErrorRecord ScoreError,
    [property: JsonPropertyName("bytes")] DistillationSizeRecord Bytes,
    [property: JsonPropertyName("report")] DistillationReportRecord Report,
    [property: JsonPropertyName("epochs")] IReadOnlyList<EpochRecord> Epochs);
